"""`import gumbel_tutorial` must print nothing: chapters store their outputs, and TensorFlow's
start-up lines would otherwise land in the first cell of every notebook."""

import subprocess
import sys


def test_import_and_first_ops_print_nothing():
    code = (
        "import gumbel_tutorial as gt\n"
        "gt.set_seed(0)\n"
        "import tensorflow as tf\n"
        "y = gt.gumbel_softmax([[0.0, 1.0, 2.0]], 0.5)\n"
        "tf.function(lambda x: x * 2.0)(y).numpy()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert done.stderr == ""
