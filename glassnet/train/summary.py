"""``model.summary()``: Keras's table of layers, output shapes and parameter counts."""

from __future__ import annotations


def _size(n_params, itemsize=4):
    size = n_params * itemsize
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} GB"


def format_summary(model, rows, line_length=None):
    """rows: (name (type), output shape, param count) per layer."""
    headers = ("Layer (type)", "Output Shape", "Param #")
    widths = [max(len(headers[0]), *(len(r[0]) for r in rows)) + 2 if rows else 20,
              max(len(headers[1]), *(len(str(r[1])) for r in rows)) + 2 if rows else 20,
              max(len(headers[2]), *(len(f"{r[2]:,}") for r in rows)) + 2 if rows else 10]
    if line_length:
        widths[0] = max(widths[0], line_length - widths[1] - widths[2] - 4)
    widths = [max(w, m) for w, m in zip(widths, (31, 22, 13))]

    def line(left, mid, right, fill):
        return left + mid.join(fill * (w + 2) for w in widths) + right

    def row(cells, sep="│"):
        a, b, c = cells
        return f"{sep} {a:<{widths[0]}} {sep} {b:<{widths[1]}} {sep} {c:>{widths[2]}} {sep}"

    out = [f'Model: "{model.name}"', line("┏", "┳", "┓", "━"),
           row(headers, "┃"), line("┡", "╇", "┩", "━")]
    for i, (name, shape, count) in enumerate(rows):
        out.append(row((name, str(shape), f"{count:,}")))
        out.append(line("├", "┼", "┤", "─") if i < len(rows) - 1 else line("└", "┴", "┘", "─"))
    if not rows:
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
