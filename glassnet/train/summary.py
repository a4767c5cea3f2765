"""``model.summary()``: Keras's table of layers, output shapes and parameter counts."""

from __future__ import annotations


def _size(n_params, itemsize=4):
    size = n_params * itemsize
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} GB"


def format_summary(model, rows, line_length=None, show_trainable=False):
    """rows: (name (type), output shape, param count, trainable) per layer; the fourth
    column ("Trainable": Y, N, or - for a layer without weights) only with
    ``show_trainable``, as Keras."""
    headers = ("Layer (type)", "Output Shape", "Param #", "Trainable")
    cells = [(r[0], str(r[1]), f"{r[2]:,}", "-" if r[3] is None else "Y" if r[3] else "N")
             for r in rows]
    n = 4 if show_trainable else 3
    minimum = (31, 22, 13, 9)
    widths = [max(len(headers[i]), *(len(c[i]) for c in cells)) + 2 if cells else minimum[i]
              for i in range(n)]
    if line_length:
        widths[0] = max(widths[0], line_length - sum(widths[1:]) - 2 * n)
    widths = [max(w, m) for w, m in zip(widths, minimum)]

    def line(left, mid, right, fill):
        return left + mid.join(fill * (w + 2) for w in widths) + right

    def row(values, sep="│"):
        parts = [f"{values[0]:<{widths[0]}}", f"{values[1]:<{widths[1]}}",
                 f"{values[2]:>{widths[2]}}", *([f"{values[3]:^{widths[3]}}"] if n == 4
                                                else [])]
        return f"{sep} " + f" {sep} ".join(parts) + f" {sep}"

    out = [f'Model: "{model.name}"', line("┏", "┳", "┓", "━"),
           row(headers, "┃"), line("┡", "╇", "┩", "━")]
    for i, values in enumerate(cells):
        out.append(row(values))
        out.append(line("├", "┼", "┤", "─") if i < len(cells) - 1 else line("└", "┴", "┘", "─"))
    if not cells:
        out.append(line("└", "┴", "┘", "─"))
    trainable = sum(p.size * p.dtype.itemsize for p in model.trainable_weights)
    total_bytes = sum(p.size * p.dtype.itemsize for p in model.weights)
    n_trainable = sum(p.size for p in model.trainable_weights)
    n_total = sum(p.size for p in model.weights)
    out += [f" Total params: {n_total:,} ({_size(total_bytes, 1)})",
            f" Trainable params: {n_trainable:,} ({_size(trainable, 1)})",
            f" Non-trainable params: {n_total - n_trainable:,} "
            f"({_size(total_bytes - trainable, 1)})"]
    return "\n".join(out)
