"""`import gumbel_tutorial` must print nothing: chapters store their outputs, and TensorFlow's
start-up lines would otherwise land in the first cell of every notebook."""

import subprocess
import sys


def run_python(code: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter; fail the test if it exits with an error."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done


def test_import_and_first_ops_print_nothing():
    code = (
        "import gumbel_tutorial as gt\n"
        "gt.set_seed(0)\n"
        "import tensorflow as tf\n"
        "y = gt.gumbel_softmax([[0.0, 1.0, 2.0]], 0.5)\n"
        "tf.function(lambda x: x * 2.0)(y).numpy()\n"
    )
    done = run_python(code)
    assert done.stdout == ""
    assert done.stderr == ""


def test_modules_change_no_global_state_beyond_the_runtime():
    """After `gumbel_tutorial.runtime` (whose effects its docstring lists), importing any other
    module changes no process-wide setting: environment, warning filters, NumPy's print and error
    options, logging levels, TensorFlow's threads and determinism."""
    code = (
        "import importlib, logging, os, pkgutil, warnings\n"
        "import gumbel_tutorial.runtime as rt\n"
        "import numpy as np\n"
        "tf = rt.tf\n"
        "def state():\n"
        "    return (dict(os.environ), list(warnings.filters), np.get_printoptions(), np.geterr(),\n"
        "            {n: logging.getLogger(n).level for n in ('', 'tensorflow', 'absl', 'matplotlib')},\n"
        "            tf.config.threading.get_intra_op_parallelism_threads(),\n"
        "            tf.config.threading.get_inter_op_parallelism_threads())\n"
        "before = state()\n"
        "import gumbel_tutorial\n"
        "for info in pkgutil.iter_modules(gumbel_tutorial.__path__):\n"
        "    if info.name not in ('__main__',):\n"
        "        importlib.import_module('gumbel_tutorial.' + info.name)\n"
        "        assert state() == before, info.name\n"
        "print('ok')\n"
    )
    assert run_python(code).stdout == "ok\n"
