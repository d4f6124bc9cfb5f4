"""Energy meters behind one Protocol: RAPL counters, NVIDIA NVML, or CPU time × per-core power.

Each meter reads its counters at ``start`` and ``stop`` only (plus optional ``checkpoint`` calls a
long loop can make between documents); there is no sampling thread, so metering an answer costs a
few file reads. Energy is returned in joules with a ``details`` dict saying what was read.

- ``RaplMeter``: package domains of ``/sys/class/powercap/intel-rapl:*`` (Intel, and AMD since
  Linux 5.8), corrected for counter wrap-around with ``max_energy_range_uj``. Whole-socket
  energy: it includes other processes running at the same time (``scope = "machine"``).
- ``NvmlMeter``: total energy counter of every NVIDIA GPU (Volta and later), if ``pynvml`` is
  installed and a GPU answers. GPU only; ``best_meter`` adds it to a host meter.
- ``CpuTimeMeter``: the process's CPU seconds × per-core power (TDP ÷ physical cores of the
  matched CPU model) + resident memory × 0.375 W/GiB × wall time (CodeCarbon's 3 W per 8 GB).
  The CPU table ``data/cpu_power.csv`` takes TDPs from CodeCarbon's ``cpu_power.csv`` (rows
  marked ``codecarbon``) or from the vendor's spec sheet for newer parts (``vendor``); core and
  thread counts come from the vendors. Unknown CPU: 4 W per core, CodeCarbon's
  ``DEFAULT_POWER_PER_CORE``. The estimate covers this process only (``scope = "process"``).
"""

from __future__ import annotations

import csv
import functools
import os
import re
import resource
import threading
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from clos.errors import ImpactError

J_PER_WH = 3600.0
GIB = 1024**3
RAM_W_PER_GIB = 3.0 / 8.0  # CodeCarbon: 3 W for 8 GB of RAM (factors.SOURCES["ram_power"])
DEFAULT_POWER_PER_CORE_W = 4.0  # CodeCarbon's DEFAULT_POWER_PER_CORE for a CPU it does not know
POWERCAP_ROOT = Path("/sys/class/powercap")


@dataclass(frozen=True)
class Measurement:
    """What one metered run consumed: energy in Wh, the method that measured it, and timings."""

    energy_wh: float
    method: str
    duration_s: float
    cpu_s: float
    details: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Meter(Protocol):
    """A source of energy readings. ``start`` returns an opaque state that the other calls take."""

    method: str

    def available(self) -> bool: ...

    def start(self) -> Any: ...

    def checkpoint(self, state: Any) -> None: ...

    def stop(self, state: Any, *, wall_s: float, cpu_s: float) -> tuple[float, dict[str, Any]]:
        """Joules consumed since ``start`` and what was read."""
        ...


# ----------------------------------------------------------------------------------------- RAPL
@dataclass(frozen=True)
class _Domain:
    zone: str
    name: str
    energy_path: Path
    max_range_uj: int


def wrapped_delta(start: int, end: int, max_range: int) -> int:
    """Counter increase from ``start`` to ``end`` for a counter that wraps at ``max_range``."""
    return end - start if end >= start else end + max_range - start


class RaplMeter:
    """Package energy from Linux powercap RAPL counters; unavailable when unreadable."""

    method = "rapl"

    def __init__(self, root: Path | str = POWERCAP_ROOT) -> None:
        self.root = Path(root)
        self._domains: list[_Domain] | None = None

    @property
    def domains(self) -> list[_Domain]:
        if self._domains is None:
            self._domains = self._discover()
        return self._domains

    def _discover(self) -> list[_Domain]:
        found = []
        try:
            zones = sorted(self.root.glob("intel-rapl:*"))
        except OSError:
            return []
        for path in zones:
            # Top-level zones only: subzones (core, uncore, dram) are parts of their package, and
            # "psys" covers the whole platform, so either would count energy twice.
            if path.name.count(":") != 1:
                continue
            try:
                name = (path / "name").read_text().strip()
            except OSError:
                name = path.name
            if not name.startswith("package"):
                continue
            try:
                int((path / "energy_uj").read_text())
                max_range = int((path / "max_energy_range_uj").read_text())
            except (OSError, ValueError):  # since 2020 energy_uj is root-only on most distributions
                continue
            found.append(_Domain(path.name, name, path / "energy_uj", max_range))
        return found

    def available(self) -> bool:
        return bool(self.domains)

    def _read(self) -> dict[str, int]:
        try:
            return {d.zone: int(d.energy_path.read_text()) for d in self.domains}
        except (OSError, ValueError) as exc:
            raise ImpactError("Lecture des compteurs RAPL impossible.", detail=repr(exc)) from exc

    def start(self) -> dict[str, Any]:
        if not self.domains:
            raise ImpactError("Aucun compteur RAPL lisible.", detail=str(self.root))
        return {"last": self._read(), "uj": {d.zone: 0 for d in self.domains}}

    def checkpoint(self, state: dict[str, Any]) -> None:
        now = self._read()
        for d in self.domains:
            state["uj"][d.zone] += wrapped_delta(state["last"][d.zone], now[d.zone], d.max_range_uj)
        state["last"] = now

    def stop(self, state: dict[str, Any], *, wall_s: float, cpu_s: float) -> tuple[float, dict]:
        self.checkpoint(state)
        joules = sum(state["uj"].values()) / 1e6
        return joules, {
            "scope": "machine",
            "domains": {d.zone: {"name": d.name, "energy_j": state["uj"][d.zone] / 1e6}
                        for d in self.domains},
        }


# ----------------------------------------------------------------------------------------- NVML
class NvmlMeter:
    """Total energy of the NVIDIA GPUs through NVML; unavailable without pynvml or a GPU."""

    method = "nvml"

    def __init__(self) -> None:
        self._nvml: Any = None
        self._handles: list[Any] | None = None

    def available(self) -> bool:
        if self._handles is not None:
            return bool(self._handles)
        self._handles = []
        try:
            import pynvml  # optional: pip install nvidia-ml-py
        except ImportError:
            return False
        try:
            pynvml.nvmlInit()
            handles = [pynvml.nvmlDeviceGetHandleByIndex(i)
                       for i in range(pynvml.nvmlDeviceGetCount())]
            for handle in handles:  # raises on GPUs older than Volta (no energy counter)
                pynvml.nvmlDeviceGetTotalEnergyConsumption(handle)
        except Exception:  # NVMLError has many subclasses (no driver, no GPU, not supported)
            return False
        self._nvml, self._handles = pynvml, handles
        return bool(handles)

    def _read(self) -> list[int]:
        try:
            return [int(self._nvml.nvmlDeviceGetTotalEnergyConsumption(h)) for h in self._handles]
        except Exception as exc:
            raise ImpactError("Lecture de l'énergie GPU (NVML) impossible.",
                              detail=repr(exc)) from exc

    def start(self) -> dict[str, Any]:
        if not self.available():
            raise ImpactError("Aucun GPU NVIDIA lisible par NVML.")
        first = self._read()
        return {"last": first, "mj": [0] * len(first)}

    def checkpoint(self, state: dict[str, Any]) -> None:
        now = self._read()  # 64-bit millijoule counters since driver load: no wrap to handle
        state["mj"] = [acc + max(0, b - a) for acc, a, b in zip(state["mj"], state["last"], now)]
        state["last"] = now

    def stop(self, state: dict[str, Any], *, wall_s: float, cpu_s: float) -> tuple[float, dict]:
        self.checkpoint(state)
        return sum(state["mj"]) / 1000.0, {
            "gpu_scope": "machine", "gpus": [mj / 1000.0 for mj in state["mj"]]}


# ------------------------------------------------------------------------------------- CPU time
@dataclass(frozen=True)
class CpuPower:
    """Per-core power used by the CPU-time estimate and where it comes from."""

    cpu_model: str
    matched: str | None
    tdp_w: float | None
    cores: int | None
    power_per_core_w: float
    source: str  # codecarbon | vendor | fallback | configured


def cpu_energy_j(cpu_s: float, power_per_core_w: float, rss_bytes: float, wall_s: float,
                 ram_w_per_gib: float = RAM_W_PER_GIB) -> float:
    """Joules = CPU seconds × W per core + resident GiB × W per GiB × wall seconds."""
    return cpu_s * power_per_core_w + (rss_bytes / GIB) * ram_w_per_gib * wall_s


def cpu_model_name(cpuinfo: Path | str = "/proc/cpuinfo") -> str:
    """The CPU model as the kernel names it (x86 "model name", else ARM "Hardware"/"Processor")."""
    try:
        text = Path(cpuinfo).read_text(errors="replace")
    except OSError:
        import platform

        return platform.processor() or ""
    fallback = ""
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip().lower()
        if key == "model name" and value.strip():
            return value.strip()
        if key in ("hardware", "processor", "cpu model") and not value.strip().isdigit():
            fallback = fallback or value.strip()
    return fallback


_NOISE = [r"\((?:r|tm)\)", r"@.*$", r"\b\d+-core\b", r"\bw(?:ith|/)\s+radeon.*$",
          r"\bprocessor\b", r"\bcpu\b", r"\bquad-core\b", r"\bsix-core\b", r"\beight-core\b"]


def normalize_cpu_name(name: str) -> str:
    s = name.lower()
    for pattern in _NOISE:
        s = re.sub(pattern, " ", s)
    return " ".join(s.split())


@functools.lru_cache(maxsize=1)
def cpu_table() -> tuple[dict[str, Any], ...]:
    path = resources.files("clos.impact").joinpath("data/cpu_power.csv")
    with path.open(encoding="utf-8") as fh:
        return tuple(
            {"name": r["name"], "tokens": frozenset(normalize_cpu_name(r["name"]).split()),
             "tdp_w": float(r["tdp_w"]), "cores": int(r["cores"]), "threads": int(r["threads"]),
             "source": r["source"]}
            for r in csv.DictReader(fh)
        )


def match_cpu(model: str, table: tuple[dict[str, Any], ...] | None = None) -> dict | None:
    """The table row for a CPU model name, or None when unknown or ambiguous.

    Token-set matching as CodeCarbon does: a row matches when all its tokens appear in the
    normalised model name (the most specific row wins), or, failing that, when the model's tokens
    all appear in exactly one row. Model numbers must match exactly: a one-digit difference is a
    different TDP, which is why there is no edit-distance matching.
    """
    table = cpu_table() if table is None else table
    tokens = frozenset(normalize_cpu_name(model).split())
    if not tokens:
        return None
    contained = [row for row in table if row["tokens"] <= tokens]
    if contained:
        best = max(len(row["tokens"]) for row in contained)
        top = [row for row in contained if len(row["tokens"]) == best]
        if len({(r["tdp_w"], r["cores"]) for r in top}) == 1:
            return top[0]
        return None
    containing = [row for row in table if tokens <= row["tokens"]]
    return containing[0] if len(containing) == 1 else None


def cpu_power(model: str | None = None) -> CpuPower:
    """Per-core power for a CPU model (this machine's by default), with a stated fallback."""
    model = cpu_model_name() if model is None else model
    row = match_cpu(model) if model else None
    if row is None:
        return CpuPower(model, None, None, None, DEFAULT_POWER_PER_CORE_W, "fallback")
    return CpuPower(model, row["name"], row["tdp_w"], row["cores"],
                    row["tdp_w"] / row["cores"], row["source"])


_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def rss_bytes() -> int:
    """Resident memory of this process now (Linux /proc), else its peak (getrusage)."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * _PAGE_SIZE
    except (OSError, ValueError, IndexError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak * 1024 if os.uname().sysname == "Linux" else peak  # KiB on Linux, B on macOS


class CpuTimeMeter:
    """Estimate from CPU time: always available, the last resort."""

    method = "cpu_time"

    def __init__(self, *, power: CpuPower | None = None, cpu_model: str | None = None,
                 ram_w_per_gib: float = RAM_W_PER_GIB, rss_reader=rss_bytes) -> None:
        self._power = power
        self._cpu_model = cpu_model
        self.ram_w_per_gib = ram_w_per_gib
        self._rss = rss_reader

    @property
    def power(self) -> CpuPower:
        if self._power is None:
            self._power = cpu_power(self._cpu_model)
        return self._power

    def available(self) -> bool:
        return True

    def start(self) -> dict[str, Any]:
        return {"rss": [self._rss()]}

    def checkpoint(self, state: dict[str, Any]) -> None:
        state["rss"].append(self._rss())

    def stop(self, state: dict[str, Any] | None, *, wall_s: float,
             cpu_s: float) -> tuple[float, dict]:
        samples = (state or {}).get("rss", []) + [self._rss()]
        rss = sum(samples) / len(samples)  # memory often grows during a run: average what we saw
        p = self.power
        return cpu_energy_j(cpu_s, p.power_per_core_w, rss, wall_s, self.ram_w_per_gib), {
            "scope": "process",
            "cpu_model": p.cpu_model,
            "cpu_matched": p.matched,
            "tdp_w": p.tdp_w,
            "cores": p.cores,
            "power_per_core_w": p.power_per_core_w,
            "power_source": p.source,
            "rss_gib": rss / GIB,
            "ram_w_per_gib": self.ram_w_per_gib,
        }


# ------------------------------------------------------------------------------------- combined
class CombinedMeter:
    """A host meter (RAPL or CPU time) plus the GPU meter: a GPU meter alone misses the CPU."""

    def __init__(self, host: Meter, gpu: Meter) -> None:
        self.host, self.gpu = host, gpu
        self.method = f"{host.method}+{gpu.method}"

    def available(self) -> bool:
        return self.host.available() and self.gpu.available()

    def start(self) -> tuple[Any, Any]:
        return self.host.start(), self.gpu.start()

    def checkpoint(self, state: tuple[Any, Any]) -> None:
        self.host.checkpoint(state[0])
        self.gpu.checkpoint(state[1])

    def stop(self, state: tuple[Any, Any], *, wall_s: float, cpu_s: float) -> tuple[float, dict]:
        host_j, host_details = self.host.stop(state[0], wall_s=wall_s, cpu_s=cpu_s)
        gpu_j, gpu_details = self.gpu.stop(state[1], wall_s=wall_s, cpu_s=cpu_s)
        return host_j + gpu_j, {**host_details, **gpu_details,
                                "host_energy_j": host_j, "gpu_energy_j": gpu_j}


_cached: dict[tuple[Any, ...], Meter] = {}
_lock = threading.Lock()


def best_meter(*, rapl_root: Path | str | None = None, gpu: bool | None = None) -> Meter:
    """RAPL if readable, else CPU time; plus NVML when a GPU answers (unless ``gpu=False``).

    Probing reads a few files once; the choice is cached per arguments for the process.
    """
    key = (str(rapl_root or POWERCAP_ROOT), gpu)
    with _lock:
        if key not in _cached:
            rapl = RaplMeter(rapl_root or POWERCAP_ROOT)
            host: Meter = rapl if rapl.available() else CpuTimeMeter()
            nvml = NvmlMeter() if gpu is not False else None
            _cached[key] = CombinedMeter(host, nvml) if nvml and nvml.available() else host
        return _cached[key]
