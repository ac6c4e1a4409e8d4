"""The reproduction command of chapter 9 on a tiny configuration."""

import dataclasses
import json
import os
import pathlib
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from gumbel_tutorial import grammar
from gumbel_tutorial.__main__ import main
from gumbel_tutorial import experiments, records
from gumbel_tutorial.experiments import reproduce
from gumbel_tutorial.records import SAMPLE_COUNT, fingerprint, load_generator, load_samples, run_folder
from gumbel_tutorial.seeds import derive_seed
from gumbel_tutorial.variants import (
    ABLATION_VARIANTS,
    EXPLORED_VARIANTS,
    OURS_CHANGES,
    PAPER_VARIANTS,
    POLICY_GRADIENT_VARIANTS,
    VARIANTS,
)
from gumbel_tutorial.checkpoints import write_atomically
from gumbel_tutorial.gan import GANConfig, SequenceGAN
from gumbel_tutorial.runtime import tf

ITERATIONS = 12


def resampled(folder: pathlib.Path) -> list[str]:
    """The strings that the stored ``generator.npz`` draws with the run's seed, drawn the way the
    run drew ``samples.txt`` (``experiments._draw``): so they equal it only if the file holds
    the trained generator."""
    record = json.loads((folder / "metrics.json").read_text())["fingerprint"]
    generator, seed = load_generator(folder), record["seed"]
    if not VARIANTS[record["variant"]].adversarial:
        tokens = generator.sample_tokens(SAMPLE_COUNT, seed=(derive_seed(seed, "samples"), 1))
        return grammar.decode(tokens.numpy())
    # A Gumbel-softmax GAN samples at its final temperature, the default of sample_strings.
    gan = SequenceGAN(GANConfig(**record["config"]), seed=seed, generator=generator)
    return gan.sample_strings(SAMPLE_COUNT, seed=seed)


def test_every_listed_variant_has_a_valid_configuration():
    for name in (*PAPER_VARIANTS, *EXPLORED_VARIANTS, *ABLATION_VARIANTS, *POLICY_GRADIENT_VARIANTS):
        config = VARIANTS[name].config(5_000)
        assert config.iterations == 5_000 or name == "mle"
        assert config.hidden_size == 64 and config.batch_size == 200, name


def test_ablation_variants_differ_from_a_and_ours_by_one_change():
    default = dataclasses.asdict(GANConfig())
    ours = dataclasses.asdict(VARIANTS["ours"].config(20_000))
    changed = {name for name in default if default[name] != ours[name]}
    assert changed == {name for change in OURS_CHANGES.values() for name in change}
    for key, change in OURS_CHANGES.items():
        plus = dataclasses.asdict(VARIANTS[f"a+{key}"].config(20_000))
        minus = dataclasses.asdict(VARIANTS[f"ours-{key}"].config(20_000))
        assert {n for n in default if default[n] != plus[n]} == set(change)
        assert {n for n in ours if ours[n] != minus[n]} == set(change)


def test_command_writes_every_file_with_the_schema(tmp_path):
    assert main(["reproduce", "--variants", "mle,d", "--iterations", str(ITERATIONS),
                 "--out", str(tmp_path), "--no-progress"]) == 0
    metric_keys = ("valid", "unique", "novel", "length_tv", "symbol_tv", "valid_mass", "true_tv", "coverage")
    for name in ("mle", "d"):
        folder = tmp_path / name / "seed0"
        result = json.loads((folder / "metrics.json").read_text())
        for key in (*metric_keys, "iterations", "mle_pretraining", "fingerprint", "seed", "versions",
                    "command", "wall_seconds", "commit", "threads", "cpu"):
            assert key in result, key
        assert result["iterations"] == ITERATIONS
        assert result["fingerprint"] == fingerprint(name, ITERATIONS, 0)
        assert result["fingerprint"]["config"]["hidden_size"] == 64
        assert result["mle_pretraining"] is False and result["seed"] == 0
        assert set(result["versions"]) >= {"python", "tensorflow", "tensorflow_probability"}
        assert result["command"].startswith("python -m gumbel_tutorial reproduce")
        assert result["wall_seconds"] > 0
        assert all(0.0 <= result[k] <= 1.0 for k in metric_keys)
        # One point of the validity curve per checkpoint: here only the last iteration's.
        [point] = result["curve"]
        assert point["iteration"] == ITERATIONS and 0.0 <= point["valid"] <= 1.0
        samples = load_samples(folder)
        assert len(samples) == SAMPLE_COUNT and all(len(s) == grammar.MAX_LEN for s in samples)
        assert result["valid_mass"] == sum(map(grammar.is_valid, samples)) / SAMPLE_COUNT
        with np.load(folder / "history.npz") as history:
            assert all(len(history[key]) == ITERATIONS for key in history.files)
        assert not (folder / "checkpoints").exists()
        # The stored weights are the trained generator's: they draw samples.txt again.
        assert resampled(folder) == samples
    with np.load(tmp_path / "d" / "seed0" / "history.npz") as history:
        assert {"d_loss", "g_loss", "temperature"} <= set(history.files)
    [record] = [json.loads(line) for line in (tmp_path / "runs.jsonl").read_text().splitlines()]
    assert record["ran"] == ["mle/seed0", "d/seed0"] and record["jobs"] == 1 and record["wall_seconds"] > 0


def test_mle_weights_reproduce_the_stored_samples(tmp_path):
    reproduce(["mle"], ITERATIONS, tmp_path, seeds=[0], command="test", progress=False)
    folder = run_folder(tmp_path, "mle", 0)
    seed = (derive_seed(0, "samples"), 1)
    again = grammar.decode(load_generator(folder).sample_tokens(SAMPLE_COUNT, seed=seed).numpy())
    assert again == load_samples(folder)


def test_changed_setting_reruns_and_same_setting_is_skipped(tmp_path, monkeypatch, capsys):
    [first] = reproduce(["d"], ITERATIONS, tmp_path, seeds=[1], command="test", progress=False)
    [again] = reproduce(["d"], ITERATIONS, tmp_path, seeds=[1], command="test", progress=False)
    assert again == first and "already done" in capsys.readouterr().err
    changed = dataclasses.replace(VARIANTS["d"], config=lambda n: GANConfig(iterations=n, noise="hidden_only",
                                                                              learning_rate=2e-3))
    monkeypatch.setitem(VARIANTS, "d", changed)
    [rerun] = reproduce(["d"], ITERATIONS, tmp_path, seeds=[1], command="test", progress=False)
    assert rerun["fingerprint"]["config"]["learning_rate"] == 2e-3
    assert rerun["fingerprint"] != first["fingerprint"]
    monkeypatch.setattr(records, "CODE_VERSION", records.CODE_VERSION + 1)
    assert records.finished(tmp_path, "d", ITERATIONS, 1) is None


def test_checkpoints_of_another_configuration_are_not_resumed(tmp_path, capsys, monkeypatch,
                                                             advances):
    checkpoints = run_folder(tmp_path, "a", 0) / "checkpoints"
    default = VARIANTS["a"]

    def faster(n: int) -> GANConfig:
        return dataclasses.replace(default.config(n), learning_rate=2e-3)

    with monkeypatch.context() as patch:
        # Checkpoints left by a run of another configuration, with that run's fingerprint.json.
        patch.setitem(VARIANTS, "a", dataclasses.replace(default, config=faster))
        stale = fingerprint("a", ITERATIONS, 0)
        experiments._prepare_checkpoints(checkpoints, stale)
        SequenceGAN(faster(ITERATIONS), seed=0).train(iterations=8, checkpoint_dir=checkpoints,
                                                     checkpoint_every=4, progress=False)
    assert json.loads((checkpoints / "fingerprint.json").read_text()) == stale
    assert stale != fingerprint("a", ITERATIONS, 0)
    advances.clear()
    [result] = reproduce(["a"], ITERATIONS, tmp_path, seeds=[0], command="test", progress=False)
    assert "another configuration" in capsys.readouterr().err
    assert advances == [(0, ITERATIONS)]  # redone from the start, not resumed from iteration 8
    assert result["fingerprint"] == fingerprint("a", ITERATIONS, 0)
    with np.load(run_folder(tmp_path, "a", 0) / "history.npz") as history:
        straight = SequenceGAN(VARIANTS["a"].config(ITERATIONS), seed=0).train(progress=False)
        np.testing.assert_allclose(history["d_loss"], straight["d_loss"], rtol=1e-4)


def test_jobs_run_in_parallel_processes_with_a_share_of_the_cores(tmp_path):
    assert main(["reproduce", "--variants", "mle", "--seeds", "0,1", "--iterations", str(ITERATIONS),
                 "--jobs", "2", "--out", str(tmp_path), "--no-progress"]) == 0
    for seed in (0, 1):
        result = json.loads((run_folder(tmp_path, "mle", seed) / "metrics.json").read_text())
        assert result["threads"] == max(1, (os.cpu_count() or 1) // 2)
        assert result["command"].endswith("--jobs 2 --out " + str(tmp_path) + " --no-progress")
    [record] = [json.loads(line) for line in (tmp_path / "runs.jsonl").read_text().splitlines()]
    assert sorted(record["ran"]) == ["mle/seed0", "mle/seed1"] and record["jobs"] == 2
    assert record["cpu"] == result["cpu"] != ""
    # The same seed gives the same run whether it was trained alone or beside another.
    [alone] = reproduce(["mle"], ITERATIONS, tmp_path / "alone", seeds=[1], command="test", progress=False)
    assert load_samples(run_folder(tmp_path, "mle", 1)) == load_samples(run_folder(tmp_path / "alone", "mle", 1))


def test_interrupted_run_resumes_to_the_right_count(tmp_path, advances):
    config = VARIANTS["a"].config(ITERATIONS)
    checkpoints = run_folder(tmp_path, "a", 0) / "checkpoints"
    experiments._prepare_checkpoints(checkpoints, fingerprint("a", ITERATIONS, 0))
    partial = SequenceGAN(config, seed=0)
    partial.train(iterations=8, checkpoint_dir=checkpoints, checkpoint_every=4, progress=False)
    advances.clear()
    [result] = reproduce(["a"], ITERATIONS, tmp_path, seeds=[0], command="test", progress=False)
    assert result["iterations"] == ITERATIONS
    assert advances == [(8, ITERATIONS - 8)]  # only the iterations after the checkpoint ran
    # The curve gets a point for the checkpoint it resumed from, then one for each new checkpoint.
    assert [point["iteration"] for point in result["curve"]] == [8, ITERATIONS]
    with np.load(run_folder(tmp_path, "a", 0) / "history.npz") as history:
        assert len(history["d_loss"]) == ITERATIONS
        straight = SequenceGAN(config, seed=0).train(progress=False)
        np.testing.assert_allclose(history["d_loss"], straight["d_loss"], rtol=1e-4)


def test_on_checkpoint_is_called_at_every_checkpoint_and_checked(tmp_path):
    trainer = SequenceGAN(VARIANTS["a"].config(ITERATIONS), seed=0)
    with pytest.raises(ValueError, match="on_checkpoint must be callable"):
        trainer.train(checkpoint_dir=tmp_path, checkpoint_every=4, progress=False, on_checkpoint=3)
    steps: list[int] = []
    trainer.train(8, checkpoint_dir=tmp_path, checkpoint_every=4, progress=False, on_checkpoint=steps.append)
    assert steps == [4, 8]


def test_killed_process_resumes(tmp_path, advances):
    """A process killed after its first checkpoint loses at most the work since that checkpoint."""
    script = (
        "import os, sys\n"
        "from gumbel_tutorial.variants import VARIANTS\n"
        "from gumbel_tutorial.gan import SequenceGAN\n"
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
    # It ran the iterations after the checkpoint at 5, and no others.
    assert advances == [(5, ITERATIONS - 5)]


def test_command_killed_after_a_checkpoint_ends_as_if_never_stopped(tmp_path):
    """``python -m gumbel_tutorial reproduce`` killed (SIGKILL) after its first checkpoint and run
    again writes the same files, byte for byte, as the same command never interrupted."""
    iterations, every = 40, 10

    def arguments(out: pathlib.Path) -> list[str]:
        return ["reproduce", "--variants", "a", "--iterations", str(iterations),
                "--checkpoint-every", str(every), "--out", str(out), "--no-progress"]

    command = [sys.executable, "-m", "gumbel_tutorial", *arguments(tmp_path / "killed")]
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    killed = subprocess.Popen(command, **quiet)
    folder = run_folder(tmp_path / "killed", "a", 0)
    saved = folder / "checkpoints" / "checkpoint"  # TensorFlow writes it last in every save
    deadline = time.monotonic() + 300
    while not saved.exists() and killed.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    killed.kill()
    assert killed.wait() == -signal.SIGKILL  # killed, not finished
    assert not (folder / "metrics.json").exists()
    step = int(tf.train.latest_checkpoint(str(folder / "checkpoints")).rsplit("-", 1)[1])
    assert every <= step < iterations
    resumed = subprocess.Popen(command, **quiet)
    try:
        assert main(arguments(tmp_path / "straight")) == 0  # meanwhile, the run uninterrupted
        assert resumed.wait(timeout=300) == 0
    finally:
        resumed.kill()  # nothing to do once it has ended
    for name in ("samples.txt", "generator.npz", "discriminator.npz", "history.npz"):
        straight = run_folder(tmp_path / "straight", "a", 0) / name
        assert (folder / name).read_bytes() == straight.read_bytes(), name


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
        (["--seeds", "-1"], "seeds"),
        (["--seeds", "0,0"], "seeds"),
        (["--seeds", ""], "seeds"),
        (["--jobs", "0"], "jobs must be a positive integer"),
        (["--checkpoint-every", "0"], "checkpoint_every must be a positive integer"),
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


# Losses of the first ten iterations at seed 0 (iterations 1, 5 and 10), printed by this code at
# CODE_VERSION 1 under the pinned numerics. If a change moves them, it changes what training
# computes: bump records.CODE_VERSION (so stored results re-run) and record the new values.
GOLDEN = {
    "a": ([1.38607, 1.3581, 1.309685], [-0.055625, 0.018062, 0.065625]),
    "ours": ([1.390151, 1.356886, 1.292298], [-0.027135, 0.0544, 0.115361]),
}


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_training_numerics_match_the_code_version(name):
    assert records.CODE_VERSION == 1, "record GOLDEN again for the new CODE_VERSION"
    history = SequenceGAN(VARIANTS[name].config(10), seed=0).train(progress=False)
    d_loss, g_loss = GOLDEN[name]
    np.testing.assert_allclose(history["d_loss"][[0, 4, 9]], d_loss, atol=2e-6)
    np.testing.assert_allclose(history["g_loss"][[0, 4, 9]], g_loss, atol=2e-6)
