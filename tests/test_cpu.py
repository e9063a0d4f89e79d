"""ftlab.cpu: the CPU's instruction-set level, the caps on torch's dispatch, and what keys depend on them."""

import dataclasses

import pytest

from ftlab import cpu, train

ZEN4 = {"avx2", "avx512f", "avx512_bf16"}
SAPPHIRE_RAPIDS = ZEN4 | {"amx_bf16", "amx_tile"}


@pytest.mark.parametrize("flags, level", [
    (set(), "baseline"), ({"avx2"}, "AVX2"), ({"avx2", "avx512f"}, "AVX-512"), (ZEN4, "AVX-512 BF16"),
    (SAPPHIRE_RAPIDS, "AMX"),
])
def test_hardware_level_is_the_best_flag(flags, level):
    assert cpu.hardware_isa(flags) == level


def test_caps_lower_the_dispatch_never_raise_it():
    assert cpu.dispatch_isa(SAPPHIRE_RAPIDS, environ={}) == "AMX"
    assert cpu.dispatch_isa(SAPPHIRE_RAPIDS, environ=cpu.CAPPED_TO_AVX2) == "AVX2"
    assert cpu.dispatch_isa(SAPPHIRE_RAPIDS, environ={"ONEDNN_MAX_CPU_ISA": "AVX512_CORE_BF16"}) == "AVX-512 BF16"
    # The lowest cap wins, and a cap above the hardware changes nothing.
    assert cpu.dispatch_isa(SAPPHIRE_RAPIDS, environ={"ONEDNN_MAX_CPU_ISA": "ALL", "ATEN_CPU_CAPABILITY": "avx2"}) == "AVX2"
    assert cpu.dispatch_isa({"avx2"}, environ={"ONEDNN_MAX_CPU_ISA": "AVX512_CORE_AMX"}) == "AVX2"


def test_an_unknown_cap_is_refused_with_its_name():
    with pytest.raises(ValueError, match="ONEDNN_MAX_CPU_ISA='AVX9'"):
        cpu.dispatch_cap({"ONEDNN_MAX_CPU_ISA": "AVX9"})


def test_describe_names_model_level_and_cap(monkeypatch):
    monkeypatch.setattr(cpu, "cpu_model", lambda: "Intel(R) Xeon(R) Platinum 8480+")
    monkeypatch.setattr(cpu, "cpu_flags", lambda: SAPPHIRE_RAPIDS)
    assert cpu.describe() == "Intel(R) Xeon(R) Platinum 8480+, AMX"
    for name, value in cpu.CAPPED_TO_AVX2.items():
        monkeypatch.setenv(name, value)
    assert cpu.describe() == "Intel(R) Xeon(R) Platinum 8480+, AMX, dispatch capped to AVX2"


def test_kernel_dependent_runs_are_cached_per_cpu(monkeypatch):
    fp32, nf4 = train.NAMED_RUNS["job-roles"], dataclasses.replace(train.NAMED_RUNS["job-roles"], quantization="nf4")
    here = {name: train.run_dir(config) for name, config in [("fp32", fp32), ("nf4", nf4)]}
    here_check = train.run_dir(fp32, per_cpu=True)
    monkeypatch.setattr(cpu, "numerics", lambda: {"isa": "AMX", "vendor": "GenuineIntel", "family": "6", "model": "143"})
    # fp32 training reproduces across CPUs: one folder for all.  A 4-bit base, or a
    # re-run made to check this CPU, must not be answered from another CPU's cache.
    assert train.run_dir(fp32) == here["fp32"]
    assert train.run_dir(nf4) != here["nf4"]
    assert train.run_dir(fp32, per_cpu=True) != here_check
    # The recipe's key (what committed results are checked against) stays the same.
    assert nf4.key() == dataclasses.replace(train.NAMED_RUNS["job-roles"], quantization="nf4").key()


def test_provenance_records_the_level():
    from ftlab.provenance import machine_line, provenance

    record = provenance()
    assert record["cpu_isa"] in cpu.LEVELS and record["cpu_dispatch"] in cpu.LEVELS
    assert record["cpu_isa"] in machine_line({"provenance": record})
    assert "instruction set not recorded" in machine_line({"provenance": {"cpu": "AMD EPYC", "cores": 2}})
