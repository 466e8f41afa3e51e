"""Drive wrk: write its Lua script, run it, read its report.

wrk (https://github.com/wg/wrk, the Debian package) is an HTTP load generator written
in C: with one thread it keeps N connections busy, each sending its next request as
soon as the previous answer arrives (a closed loop), and `--latency` prints the
latency percentiles. A Lua script rotates through request paths and bodies so one run
mixes several searches, or several different reports.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

WRK = shutil.which("wrk") or "/usr/bin/wrk"

LUA = """-- written by bench/wrk.py
local paths = {{
{paths}
}}
local bodies = {{
{bodies}
}}
local method = "{method}"
local i = 0
wrk.headers["Content-Type"] = "application/json"
{auth}
{delay}
request = function()
  i = i + 1
  local body = nil
  if #bodies > 0 then body = bodies[(i % #bodies) + 1] end
  return wrk.format(method, paths[(i % #paths) + 1], nil, body)
end
"""


@dataclass(frozen=True)
class Scenario:
    """What one wrk run sends: a method, paths and bodies rotated request by request."""

    name: str
    method: str
    paths: list[str]
    bodies: list[str]
    expect: int
    token: str | None = None
    delay_ms: int = 0  # pause of each connection before its next request (0: a closed loop)

    def lua(self) -> str:
        """The wrk script for this scenario."""
        for text in self.bodies:
            if "]==]" in text:
                raise ValueError("a body contains the Lua long-string terminator")
        return LUA.format(
            method=self.method,
            paths=",\n".join(f'  "{p}"' for p in self.paths),
            bodies=",\n".join(f"  [==[{b}]==]" for b in self.bodies),
            auth=f'wrk.headers["Authorization"] = "Bearer {self.token}"' if self.token else "",
            delay=f"delay = function() return {self.delay_ms} end" if self.delay_ms else "",
        )


@dataclass(frozen=True)
class Result:
    """What wrk measured in one run. Latencies in milliseconds."""

    scenario: str
    connections: int
    seconds: float
    requests: int
    rps: float
    p50: float
    p75: float
    p90: float
    p99: float
    max: float
    non_2xx: int
    socket_errors: int
    server_cpu_ms: float = 0.0  # CPU time of the server process per request (user + system)
    load1: float = 0.0  # the machine's 1-minute load average when the run ended

    @property
    def ok(self) -> bool:
        """Whether every request got a 2xx or 3xx answer and no socket failed."""
        return self.non_2xx == 0 and self.socket_errors == 0

    def as_dict(self) -> dict[str, Any]:
        """For the JSON results."""
        return asdict(self)


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
_DURATION = re.compile(r"([\d.]+)(us|ms|s|m)\b")


def _ms(value: str) -> float:
    m = _DURATION.fullmatch(value.strip())
    if not m:
        raise ValueError(f"cannot read a wrk duration: {value!r}")
    return float(m.group(1)) * _UNITS_MS[m.group(2)]


def parse(output: str, scenario: str, connections: int) -> Result:
    """Read wrk's `--latency` report."""
    pct = {int(p): _ms(v) for p, v in re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", output, re.M)}
    done = re.search(r"(\d+) requests in ([\d.]+\w+)", output)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    latency_max = re.search(r"Latency\s+\S+\s+\S+\s+(\S+)", output)
    if not (done and rps and len(pct) == 4 and latency_max):
        raise ValueError(f"unexpected wrk output:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    sock = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return Result(
        scenario=scenario,
        connections=connections,
        seconds=_ms(done.group(2)) / 1000,
        requests=int(done.group(1)),
        rps=float(rps.group(1)),
        p50=pct[50],
        p75=pct[75],
        p90=pct[90],
        p99=pct[99],
        max=_ms(latency_max.group(1)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(x) for x in sock.groups()) if sock else 0,
    )


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load1() -> float:
    """The 1-minute load average."""
    return float(Path("/proc/loadavg").read_text().split()[0])


def run(
    base_url: str,
    scenario: Scenario,
    *,
    script_dir: Path,
    seconds: float,
    connections: int,
    threads: int = 1,
    server_pid: int | None = None,
) -> Result:
    """Run wrk once against `base_url` with the scenario's script.

    With `server_pid`, also the server's CPU time per request: unlike requests per
    second it hardly moves when other processes share the machine.
    """
    cmd = _command(base_url, scenario, script_dir, seconds, connections, threads)
    cpu_before = cpu_seconds(server_pid) if server_pid else 0.0
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    cpu = cpu_seconds(server_pid) - cpu_before if server_pid else 0.0
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    result = parse(done.stdout, scenario.name, connections)
    per_request = 1000 * cpu / result.requests if result.requests else 0.0
    return replace(result, server_cpu_ms=round(per_request, 3), load1=load1())


def run_together(
    base_url: str,
    runs: list[tuple[Scenario, str, int]],
    *,
    script_dir: Path,
    seconds: float,
) -> list[Result]:
    """Several wrk processes at once (scenario, the name to report it by, connections)."""
    procs = []
    for scenario, name, connections in runs:
        cmd = _command(base_url, scenario, script_dir, seconds, connections, 1)
        procs.append((name, connections, subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)))
    results = []
    for name, connections, proc in procs:
        out, _ = proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError(f"wrk failed ({proc.returncode}) in {name}")
        results.append(replace(parse(out, name, connections), load1=load1()))
    return results


def _command(
    base_url: str,
    scenario: Scenario,
    script_dir: Path,
    seconds: float,
    connections: int,
    threads: int,
) -> list[str]:
    script = script_dir / f"{scenario.name}.lua"
    script.write_text(scenario.lua())
    return [
        WRK,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds:g}s",
        "--timeout",
        "30s",
        "--latency",
        "-s",
        str(script),
        base_url + scenario.paths[0],
    ]
