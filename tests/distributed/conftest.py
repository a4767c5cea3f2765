"""Running a script on several processes under ``mpirun``, for the multi-process tests."""

import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import glassnet

pytest.importorskip("mpi4py.MPI", reason="glassnet.distributed needs mpi4py and an MPI "
                    "library: pip install 'glassnet[distributed]', apt install openmpi-bin")

ROOT = Path(glassnet.__file__).resolve().parents[1]
MPIRUN = shutil.which("mpirun")
# Two ranks on a small machine: more ranks than cores, no pinning, shared memory only; root
# (a container) allowed.
MPI_OPTIONS = ["--oversubscribe", "--bind-to", "none", "--mca", "btl", "self,vader"]
MPI_ENV = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
           "OMPI_MCA_rmaps_base_oversubscribe": "1", "OMP_NUM_THREADS": "1",
           "OPENBLAS_NUM_THREADS": "1"}


class MPIRun:
    """``mpirun -np N python script`` with a time limit; the result carries ``stdout``,
    ``stderr``, ``returncode``, ``seconds`` and ``ranks``: each rank's own stdout (mpirun's
    merges the ranks' writes, which may cut each other's lines)."""

    def __init__(self, tmp_path):
        self.tmp_path = tmp_path

    def script(self, source, name="job.py"):
        path = self.tmp_path / name
        path.write_text(textwrap.dedent(source))
        return path

    def command(self, path, np=2, args=()):
        self.runs = getattr(self, "runs", 0) + 1
        self.outputs = self.tmp_path / f"output-{self.runs}"
        return [MPIRUN, "-np", str(np), *MPI_OPTIONS, "--output-filename", str(self.outputs),
                sys.executable, str(path), *map(str, args)]

    def rank_outputs(self, np):
        """Each rank's stdout in the last run (written by mpirun's --output-filename)."""
        files = [next(self.outputs.glob(f"*/rank.{r}/stdout"), None) for r in range(np)]
        return [f.read_text() if f is not None else "" for f in files]

    def env(self):
        return {**os.environ, **MPI_ENV,
                "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}

    def __call__(self, source, np=2, args=(), timeout=120):
        path = source if isinstance(source, Path) else self.script(source)
        start = time.monotonic()
        try:
            done = subprocess.run(self.command(path, np, args), capture_output=True, text=True,
                                  timeout=timeout, env=self.env(), cwd=self.tmp_path)
        except subprocess.TimeoutExpired as error:
            pytest.fail(f"mpirun did not finish within {timeout} s (a rank hangs):\n"
                        f"{error.stdout}\n{error.stderr}")
        done.seconds = time.monotonic() - start
        done.ranks = self.rank_outputs(np)
        return done


@pytest.fixture
def mpirun(tmp_path):
    if MPIRUN is None:
        pytest.skip("the multi-process tests need an MPI launcher (mpirun: apt-get install "
                    "openmpi-bin)")
    return MPIRun(tmp_path)
