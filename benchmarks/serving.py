"""The `classroom` benchmark section: the load generator (benchmarks/classroom.py) against

- one `make run` server per classroom size N: latency per kind of interaction, errors, bytes,
  and the server's CPU and memory at start, at peak and after the students leave;
- the same server with Streamlit's `runner.postScriptGC` on and off over a soak in which
  students join and leave (the question .streamlit/config.toml answers);
- nginx in front of two replicas (deploy/serve.py): sessions spread and stick, an upload goes
  through, and one replica killed mid-run: its students reconnect to the other.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import time
from pathlib import Path

from benchmarks import classroom
from deploy import serve

TICKS = os.sysconf("SC_CLK_TCK")
SESSION_TTL_S = 120  # Streamlit keeps a disconnected session this long (runtime/memory_session_storage.py)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


class Sampler:
    """Resident memory of some processes every `every` seconds while a load runs."""

    def __init__(self, pids: list[int], every: float = 0.5):
        self.pids, self.every, self.samples = pids, every, []  # (seconds, total MB)
        self._start = time.perf_counter()
        self._cpu0 = {p: cpu_s(p) for p in pids}

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            total = 0.0
            for p in self.pids:
                try:
                    total += rss_mb(p)
                except (FileNotFoundError, ProcessLookupError):
                    pass  # a replica the benchmark killed
            self.samples.append((time.perf_counter() - self._start, total))
            try:
                await asyncio.wait_for(stop.wait(), self.every)
            except asyncio.TimeoutError:
                pass

    def cpu_percent(self) -> float:
        """Mean CPU use of the processes since the sampler was made (100 = one core)."""
        used = 0.0
        for p in self.pids:
            try:
                used += cpu_s(p) - self._cpu0[p]
            except (FileNotFoundError, ProcessLookupError):
                pass
        return 100 * used / (time.perf_counter() - self._start)


async def load_with_sampling(pids: list[int], load) -> tuple[dict, Sampler]:
    sampler, stop = Sampler(pids), asyncio.Event()
    task = asyncio.create_task(sampler.run(stop))
    try:
        summary = await load
    finally:
        stop.set()
        await task
    return summary, sampler


def warm(url: str) -> None:
    """One untimed student visits every page the load uses, so the models and caches are loaded."""
    async def visit():
        student = classroom.Student(url, random.Random(0), timeout=300)
        await student.open()
        await student.move_latent()
        await student.upload(classroom.digit_png())
        for page in ("compare", "models", ""):
            await student.switch_page(page)
        await student.close()
    asyncio.run(visit())


def size_run(n: int, seconds: float, settle_s: float, post_script_gc: bool | None = None) -> dict:
    """A fresh `make run` server, warmed; n students for `seconds`; memory after `settle_s`."""
    port = serve.free_port()
    proc = serve.start_app(port, post_script_gc)
    url = f"http://127.0.0.1:{port}"
    try:
        serve.wait_healthy(url, proc)
        warm(url)
        start_mb = rss_mb(proc.pid)
        summary, sampler = asyncio.run(load_with_sampling([proc.pid], classroom.classroom(url, n, seconds)))
        time.sleep(settle_s)
        summary.pop("upstreams")
        summary.update(server_cpu_percent=sampler.cpu_percent(), memory_start_mb=start_mb,
                       memory_peak_mb=max(mb for _, mb in sampler.samples), memory_after_mb=rss_mb(proc.pid),
                       settle_s=settle_s)
        return summary
    finally:
        serve.stop(proc)


def balanced_size_run(n: int, seconds: float, replicas: int) -> dict:
    """n students through nginx to `replicas` fresh app processes (`make serve-class`), each
    warmed; memory and CPU are the replicas' together (100% = one core)."""
    with serve.cluster(replicas) as c:
        for port in c.app_ports:
            warm(f"http://127.0.0.1:{port}")
        pids = [p.pid for p in c.apps]
        start_mb = sum(rss_mb(p) for p in pids)
        summary, sampler = asyncio.run(load_with_sampling(pids, classroom.classroom(c.url, n, seconds)))
        cpu = sampler.cpu_percent()  # while the replicas still run: it reads their /proc entries
    upstreams = summary.pop("upstreams")
    first = [u[0] if u else None for u in upstreams]
    summary.update(replicas=replicas, students_per_replica={a: first.count(a) for a in sorted(set(filter(None, first)))},
                   server_cpu_percent=cpu, memory_start_mb=start_mb, memory_peak_mb=max(mb for _, mb in sampler.samples))
    return summary


async def soak_load(url: str, seconds: float, seats: int, stay: tuple[float, float]) -> dict:
    """`seats` students at a time for `seconds`; each stays a random time in `stay`, then
    leaves (closes its tab) and a new student takes the seat."""
    end = time.perf_counter() + seconds
    records, joined = [], 0
    png = classroom.digit_png()

    async def seat(i: int) -> None:
        nonlocal joined
        rng = random.Random(i)
        while (left := end - time.perf_counter()) > 5:
            joined += 1
            records.append(await classroom.student_session(url, joined, min(left, rng.uniform(*stay)), 1.0, png, 7))

    await asyncio.gather(*(seat(i) for i in range(seats)))
    summary = classroom.summarise(records)
    summary.pop("upstreams")
    summary.update(students_joined=joined, seats=seats)
    return summary


def gc_soak(seconds: float, seats: int, stay: tuple[float, float], wait_ttl: bool,
            modes: tuple[bool, ...] = (True, False)) -> dict:
    """The same soak against a server with runner.postScriptGC on, then off (`modes`)."""
    out = {}
    for gc_on in modes:
        port = serve.free_port()
        proc = serve.start_app(port, post_script_gc=gc_on)
        url = f"http://127.0.0.1:{port}"
        try:
            serve.wait_healthy(url, proc)
            warm(url)
            idle_mb = rss_mb(proc.pid)
            summary, sampler = asyncio.run(load_with_sampling([proc.pid], soak_load(url, seconds, seats, stay)))
            # Memory over the soak in tenths: flat if the later tenths do not grow.
            samples = sampler.samples
            tenths = [max(mb for t, mb in samples if k * seconds / 10 <= t <= (k + 1) * seconds / 10 + 0.5)
                      for k in range(10)]
            after_close = rss_mb(proc.pid)
            if wait_ttl:
                time.sleep(SESSION_TTL_S + 5)
            summary.update(memory_idle_mb=idle_mb, memory_peak_mb=max(mb for _, mb in samples),
                           memory_by_tenth_mb=tenths, memory_after_close_mb=after_close,
                           memory_after_ttl_mb=rss_mb(proc.pid) if wait_ttl else None,
                           server_cpu_percent=sampler.cpu_percent(), seconds=seconds)
            out["gc_on" if gc_on else "gc_off"] = summary
        finally:
            serve.stop(proc)
    return out


def gc_cost(repeats: int = 5) -> dict:
    """What Streamlit's post-script collection walks: the latent page rendered in this process
    (AppTest, models and caches loaded), then the live objects tracked by the collector and
    the time of one full gc.collect(), the call runner.postScriptGC makes after every rerun."""
    import gc

    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(serve.ROOT / "app.py"), default_timeout=300)
    at.run()
    if at.exception:
        raise RuntimeError(f"the latent page failed: {at.exception[0].message}")
    gc.collect()

    def collect_ms() -> float:
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            gc.collect()
            times.append((time.perf_counter() - start) * 1000)
        return statistics.median(times)

    out = {"tracked_objects": len(gc.get_objects()), "full_collection_ms": collect_ms()}
    # gc.freeze() once the modules and models are loaded moves them out of every later
    # collection (what an app could do once per process); measured, then undone.
    gc.freeze()
    at.run()  # one more rerun of the page
    out.update(tracked_after_freeze_and_a_rerun=len(gc.get_objects()), full_collection_ms_after_freeze=collect_ms())
    gc.unfreeze()
    return out


def balanced_run(students: int, seconds: float, kill_after: float) -> dict:
    """nginx in front of two replicas; one replica is killed `kill_after` s into the run."""
    with serve.cluster(2) as c:
        for port in c.app_ports:
            warm(f"http://127.0.0.1:{port}")
        victim = c.apps[0]
        victim_addr = f"127.0.0.1:{c.app_ports[0]}"

        async def load():
            async def kill():
                await asyncio.sleep(kill_after)
                victim.kill()  # SIGKILL: a crash, not a clean shutdown
            killer = asyncio.create_task(kill())
            summary = await classroom.classroom(c.url, students, seconds)
            await killer
            return summary

        summary, sampler = asyncio.run(load_with_sampling([p.pid for p in c.apps], load()))
    upstreams = summary.pop("upstreams")
    first = [u[0] if u else None for u in upstreams]
    moved = [u for u in upstreams if len(u) > 1]
    reconnect = summary["kinds"].get("reconnect", {})
    summary.update(
        replicas=2, killed=victim_addr, kill_after_s=kill_after,
        students_per_replica={addr: first.count(addr) for addr in sorted(set(filter(None, first)))},
        # Each student talked to one process, or to the killed one and then one other.
        sticky=all(upstreams) and all(len(u) == 1 or (len(u) == 2 and u[0] == victim_addr) for u in upstreams),
        students_moved=len(moved),
        students_on_killed=sum(victim_addr in u for u in upstreams),
        reconnects=reconnect.get("count", 0), reconnect_p50_ms=reconnect.get("p50_ms"),
        reconnect_max_ms=reconnect.get("max_ms"), uploads=summary["kinds"].get("upload", {}).get("count", 0),
        memory_peak_mb=max(mb for _, mb in sampler.samples))
    return summary


def run(sizes: tuple[int, ...], seconds: float, settle_s: float, soak_s: float, soak_seats: int,
        soak_stay: tuple[float, float], wait_ttl: bool, balanced_students: int, balanced_s: float) -> dict:
    return {
        "sizes": [size_run(n, seconds, settle_s) for n in sizes],
        "gc": gc_soak(soak_s, soak_seats, soak_stay, wait_ttl),
        "gc_cost": gc_cost(),
        "balanced": balanced_run(balanced_students, balanced_s, kill_after=balanced_s / 3),
    }


def markdown(r: dict) -> list[str]:
    s = ["## A classroom on the app\n",
         "Simulated students speaking Streamlit's websocket protocol (`benchmarks/classroom.py`). Each student, "
         "about once a second, picks a random test digit in the latent scatter or moves off it, in turn; switches "
         "pages every tenth action and uploads one digit early on (each student at its own step, not in lockstep). "
         "A latent move or pick runs in the page and sends the server no message (\"latent move\" and \"pick\" "
         "under App latency, in Chromium); what a pick may fetch is the sheet of 100 test digits holding the picked "
         "one (a PNG), the first time the tab needs it. \"Sheet fetch\" is that request; \"in page\" counts the "
         "latent actions that asked the server nothing. Latency of a rerun: from the message a browser would send "
         "to the end of the rerun it causes (`script_finished`), so serialisation and transfer are inside. Bytes: "
         "what the server sent for it, with the browser's message cache honoured. One `make run` server per row, "
         "warmed by one student first. \"After the first 10 s\": the fetches begun 10 s or more after the first "
         "action, past the opening burst in which every student opens the app and most upload.\n",
         "| students | server interactions (/s) | latent actions in page | sheet fetch p50 / p95 / max "
         "| sheet fetch p95 after the first 10 s | page switch p50 / p95 | upload p50 | errors "
         "| bytes per sheet fetch | first load bytes | server CPU | memory start / peak / after |",
         "|---|---|---|---|---|---|---|---|---|---|---|---|"]

    def ms(kind: dict | None, *keys) -> str:
        return " / ".join(f"{kind[k] / 1000:.2f} s" for k in keys) if kind else "-"

    for row in r["sizes"]:
        k = row["kinds"]
        s.append(f"| {row['students']} | {row['interactions']} ({row['interactions_per_s']:.1f}) | "
                 f"{row.get('in_page', '-')} | {ms(k.get('latent'), 'p50_ms', 'p95_ms', 'max_ms')} | "
                 f"{ms(k.get('latent'), 'settled_p95_ms') if k.get('latent', {}).get('settled_p95_ms') else '-'} | "
                 f"{ms(k.get('page'), 'p50_ms', 'p95_ms')} | {ms(k.get('upload'), 'p50_ms')} | {len(row['errors'])} | "
                 f"{k['latent']['bytes_mean'] / 1e3 if 'latent' in k else 0:.0f} KB | {k['open']['bytes_mean'] / 1e3:.0f} KB | "
                 f"{row['server_cpu_percent']:.0f}% | {row['memory_start_mb']:.0f} / {row['memory_peak_mb']:.0f} / "
                 f"{row['memory_after_mb']:.0f} MB |")
    first = r["sizes"][0]["kinds"]
    if "bytes_mean_by_element" in first.get("latent", {}):
        s.append("\nWhere the bytes of one sheet fetch go (first row), by element: " + ", ".join(
            f"{e} {n / 1e3:.1f} KB" for e, n in first["latent"]["bytes_mean_by_element"].items()) + ".")
    g = r["gc"]
    s.append(f"\nGarbage collection after every script run (`runner.postScriptGC`), the same soak on a fresh server "
             f"each: {g['gc_on']['seats']} students at a time for {g['gc_on']['seconds']:.0f} s, each staying "
             "a random while, then replaced.\n")
    s.append("| postScriptGC | students joined | sheet fetch p50 / p95 | page p95 | errors | server CPU | memory idle / peak "
             "| peak per tenth of the soak | after close / after the session TTL |\n|---|---|---|---|---|---|---|---|---|")
    for key in ("gc_on", "gc_off"):
        row = g[key]
        k = row["kinds"]
        ttl = f"{row['memory_after_ttl_mb']:.0f}" if row["memory_after_ttl_mb"] is not None else "-"
        s.append(f"| {'on' if key == 'gc_on' else 'off'} | {row['students_joined']} | "
                 f"{ms(k.get('latent'), 'p50_ms', 'p95_ms')} | {ms(k.get('page'), 'p95_ms')} | {len(row['errors'])} | "
                 f"{row['server_cpu_percent']:.0f}% | {row['memory_idle_mb']:.0f} / {row['memory_peak_mb']:.0f} MB | "
                 f"{' '.join(f'{m:.0f}' for m in row['memory_by_tenth_mb'])} | {row['memory_after_close_mb']:.0f} / {ttl} MB |")
    if "gc_cost" in r:
        c = r["gc_cost"]
        s.append(f"\nWhat each of those collections walks, measured in the benchmark's own process after the latent "
                 f"page ran (AppTest): {c['tracked_objects']:,} objects, a full `gc.collect()` "
                 f"{c['full_collection_ms']:.0f} ms; after `gc.freeze()` (modules and models moved out of later "
                 f"collections) and one more rerun: {c['tracked_after_freeze_and_a_rerun']:,} objects, "
                 f"{c['full_collection_ms_after_freeze']:.2f} ms.")
    b = r["balanced"]
    s.append(f"\nnginx in front of 2 replicas (`make serve-class REPLICAS=2`, deploy/nginx.conf), {b['students']} "
             f"students for {b['seconds']:.0f} s; replica {b['killed']} killed (SIGKILL) after {b['kill_after_s']:.0f} s: "
             f"students per replica at start {b['students_per_replica']}; every student stuck to one replica until "
             f"its replica died: **{b['sticky']}**; uploads through the balancer: {b['uploads']}; "
             f"{b['students_moved']} of the {b['students_on_killed']} students on the killed replica reconnected to "
             f"the other, reconnect (first failed action to the page rerun there) p50 "
             f"{(b['reconnect_p50_ms'] or 0) / 1000:.2f} s, max {(b['reconnect_max_ms'] or 0) / 1000:.2f} s; "
             f"errors: {len(b['errors'])}.\n")
    return s


def main(argv: list[str] | None = None) -> int:
    """One part of the section on its own, printed as JSON (the full section: benchmarks.run --only classroom)."""
    import argparse
    import json

    parser = argparse.ArgumentParser(description=main.__doc__, allow_abbrev=False)
    parser.add_argument("part", choices=["sizes", "gc", "gc-cost", "balanced"])
    parser.add_argument("--students", type=int, nargs="+", default=[10], help="sizes: students per run; gc: seats")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--stay", type=float, nargs=2, default=(30, 120), help="gc: seconds a student stays")
    parser.add_argument("--wait-ttl", action="store_true", help="gc: also measure memory after the session TTL")
    parser.add_argument("--gc", choices=["on", "off", "both"], default="both", help="gc: which postScriptGC to soak")
    parser.add_argument("--replicas", type=int, default=1, help="sizes: app processes (more than 1: behind nginx)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if args.part == "sizes" and args.replicas > 1:
        result = [balanced_size_run(n, args.seconds, args.replicas) for n in args.students]
    elif args.part == "sizes":
        result = [size_run(n, args.seconds, 10) for n in args.students]
    elif args.part == "gc":
        modes = {"on": (True,), "off": (False,), "both": (True, False)}[args.gc]
        result = gc_soak(args.seconds, args.students[0], tuple(args.stay), args.wait_ttl, modes)
    elif args.part == "gc-cost":
        result = gc_cost()
    else:
        result = balanced_run(args.students[0], args.seconds, args.seconds / 3)
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
