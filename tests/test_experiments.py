"""The reproduction command of chapter 9 on a tiny configuration."""

import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from gumbel_tutorial import grammar
from gumbel_tutorial.__main__ import main
from gumbel_tutorial.experiments import EXPLORED_VARIANTS, PAPER_VARIANTS, VARIANTS, reproduce
from gumbel_tutorial.training import SequenceGAN, write_atomically

ITERATIONS = 12


def test_every_listed_variant_has_a_valid_configuration():
    for name in (*PAPER_VARIANTS, *EXPLORED_VARIANTS):
        config = VARIANTS[name].config(5_000)
        assert config.iterations == 5_000 or name == "mle"
        assert config.hidden_size == 64 and config.batch_size == 200, name


def test_command_writes_every_file_with_the_schema(tmp_path):
    assert main(["reproduce", "--variants", "mle,d", "--iterations", str(ITERATIONS),
                 "--out", str(tmp_path), "--no-progress"]) == 0
    for name in ("mle", "d"):
        folder = tmp_path / name
        result = json.loads((folder / "metrics.json").read_text())
        for key in ("valid", "unique", "novel", "length_tv", "symbol_tv", "iterations", "mle_pretraining",
                    "config", "seed", "versions", "command", "wall_seconds"):
            assert key in result, key
        assert result["iterations"] == ITERATIONS
        assert result["config"]["hidden_size"] == 64 and result["config"]["batch_size"] == 200
        assert result["mle_pretraining"] is False and result["seed"] == 0
        assert set(result["versions"]) >= {"python", "tensorflow", "tensorflow_probability"}
        assert result["command"].startswith("python -m gumbel_tutorial reproduce")
        assert result["wall_seconds"] > 0
        assert all(0.0 <= result[k] <= 1.0 for k in ("valid", "unique", "novel", "length_tv", "symbol_tv"))
        samples = json.loads((folder / "samples.json").read_text())
        assert len(samples) == 1_000 and all(len(s) == grammar.MAX_LEN for s in samples)
        with np.load(folder / "history.npz") as history:
            assert all(len(history[key]) == ITERATIONS for key in history.files)
        assert not (folder / "checkpoints").exists()
    with np.load(tmp_path / "d" / "history.npz") as history:
        assert {"d_loss", "g_loss", "temperature"} <= set(history.files)


def test_interrupted_run_resumes_to_the_right_count(tmp_path):
    config = VARIANTS["a"].config(ITERATIONS)
    partial = SequenceGAN(config, seed=0)
    partial.train(iterations=8, checkpoint_dir=tmp_path / "a" / "checkpoints", checkpoint_every=4, progress=False)
    [result] = reproduce(["a"], ITERATIONS, tmp_path, seed=0, command="test", progress=False)
    assert result["iterations"] == ITERATIONS
    with np.load(tmp_path / "a" / "history.npz") as history:
        assert len(history["d_loss"]) == ITERATIONS
        straight = SequenceGAN(config, seed=0).train(progress=False)
        np.testing.assert_allclose(history["d_loss"], straight["d_loss"], rtol=1e-4)


def test_killed_process_resumes(tmp_path):
    """A process killed after its first checkpoint loses at most the work since that checkpoint."""
    script = (
        "import os, sys\n"
        "from gumbel_tutorial.experiments import VARIANTS\n"
        "from gumbel_tutorial.training import SequenceGAN\n"
        "class Killed(SequenceGAN):\n"
        "    def _save(self, manager):\n"
        "        super()._save(manager)\n"
        "        os._exit(9)\n"
        f"Killed(VARIANTS['a'].config({ITERATIONS}), seed=0).train(checkpoint_dir=sys.argv[1], checkpoint_every=5, progress=False)\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "a" / "checkpoints")], timeout=300)
    assert done.returncode == 9
    resumed = SequenceGAN(VARIANTS["a"].config(ITERATIONS), seed=0)
    resumed.train(checkpoint_dir=tmp_path / "a" / "checkpoints", progress=False)
    assert int(resumed.step.numpy()) == ITERATIONS and len(resumed.history["d_loss"]) == ITERATIONS


def test_crash_mid_write_leaves_no_truncated_file(tmp_path):
    target = tmp_path / "metrics.json"
    target.write_text('{"complete": true}')

    def crash(handle):
        handle.write(b'{"comp')
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_atomically(target, crash)
    assert json.loads(target.read_text()) == {"complete": True}
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--variants", "a,e9"], "unknown variant"),
        (["--iterations", "0"], "iterations must be a positive integer"),
        (["--iterations", "-5"], "iterations must be a positive integer"),
        (["--seed", "-1"], "seed"),
    ],
)
def test_bad_arguments_fail_fast(argv, message, capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        main(["reproduce", "--out", str(tmp_path / "r"), *argv])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_output_path_that_is_a_file(tmp_path, capsys):
    target = tmp_path / "results"
    target.write_text("not a folder")
    with pytest.raises(SystemExit):
        main(["reproduce", "--out", str(target), "--iterations", "5"])
    assert "is a file" in capsys.readouterr().err
