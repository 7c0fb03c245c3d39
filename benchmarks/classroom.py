"""A classroom on the app: N simulated students speaking Streamlit's own websocket protocol.

Each student does what the browser does, with the protobuf messages that ship with Streamlit:
GET /_stcore/health (the XSRF cookie, and the balancer's affinity cookie when there is one),
open the /_stcore/stream websocket, send a `rerun_script` BackMsg, read ForwardMsgs until
`script_finished`. Then, about once a second: a latent action (below), every tenth action a
page switch, and once an upload of a digit through Streamlit's upload endpoint (file_urls_request, PUT,
rerun with the uploader's state).

A latent action here is a pick of a random test digit in the scatter or the move off it,
alternating, once a second. Both run in the page (benchmarks/app_latency.py times them in
Chromium), as does moving the point (the pad, its z sliders, the noise on the code): the pad
decodes, and no message goes to the server. What a pick may still ask of the server is the
sheet of 100 test digits that holds the picked one (a ~17 KB PNG), the first time this tab
needs that sheet; later picks from it come from the browser's cache. So a "latent"
interaction below is that fetch, and the actions that needed nothing are counted as
`in_page`.
Like the browser, a student keeps cacheable messages and reports their hashes, so the bytes
counted are the bytes a browser would receive.

Latency of an interaction: from sending the BackMsg to receiving `script_finished`, i.e. to
the last delta of the updated page, picture included; for a latent action, the sheet's GET.
Bounded in students and seconds, and
only local addresses are accepted.

    python -m benchmarks.classroom --url http://127.0.0.1:8501 --students 10 --seconds 30
"""

from __future__ import annotations

import argparse
import asyncio
import http.cookiejar
import io
import json
import random
import statistics
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
MAX_STUDENTS = 200
MAX_SECONDS = 1800
KINDS = ("open", "latent", "page", "upload", "reconnect")
BIDI_ROOT = "/_stcore/bidi-components/"  # where components v2 serve their assets (the pad's URLs are relative to it)
PAD = "latent_explorer.onnx_pad"  # the latent pad's component (app_pages/components/onnx_pad)
FRAGMENT_DONE = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY}


class ClassroomError(RuntimeError):
    """A student could not do what it was asked (the run counts it as an error)."""


def check_local(url: str) -> None:
    host = urlparse(url).hostname
    if host not in LOCAL_HOSTS:
        raise SystemExit(f"error: the classroom load generator only talks to this machine; {url!r} is not local")


def digit_png() -> bytes:
    """A hand-drawn-looking 7, white on black, as a student would upload it."""
    from PIL import Image, ImageDraw

    image = Image.new("L", (120, 120), 0)
    draw = ImageDraw.Draw(image)
    draw.line([(25, 25), (95, 25), (50, 105)], fill=255, width=12)
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


@dataclass
class Widget:
    id: str
    kind: str  # the element's proto field: "slider", "button_group", "file_uploader", ...
    label: str
    fragment_id: str
    element: object


@dataclass
class Record:
    """What one student saw: latencies and bytes per kind of interaction, errors, replicas."""

    latency_s: dict = field(default_factory=lambda: {k: [] for k in KINDS})
    started_at: dict = field(default_factory=lambda: {k: [] for k in KINDS})  # perf_counter at each action
    bytes: dict = field(default_factory=lambda: {k: [] for k in KINDS})
    # kind -> element type ("bidi_component", "plotly_chart", ...) -> bytes, over all its interactions
    element_bytes: dict = field(default_factory=lambda: {k: {} for k in KINDS})
    errors: list = field(default_factory=list)
    upstreams: list = field(default_factory=list)  # the processes that answered (balancer's X-Upstream), in order
    in_page: int = 0  # latent actions that sent nothing to the server


class Student:
    """One browser tab, as far as the server can tell."""

    def __init__(self, url: str, rng: random.Random, timeout: float = 120.0):
        self.url = url.rstrip("/")
        self.rng = rng
        self.timeout = timeout
        self.jar = http.cookiejar.CookieJar()
        self.http = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.ws = None
        self.session_id = ""
        self.pages: dict[str, str] = {}  # url path ("" for the default page) -> page_script_hash
        self.page = ""
        self.widgets: dict[str, Widget] = {}  # label -> widget on the current page
        self.states: dict[str, WidgetState] = {}  # widget id -> the value this tab holds
        self.picked: int | None = None  # the test digit this tab last picked on the latent page
        self.components: dict[str, object] = {}  # custom component name -> its element on the current page
        self.sheets: set[str] = set()  # the test-digit sheets this tab has fetched (the browser's cache)
        self.cache: dict[str, tuple[ForwardMsg, int]] = {}  # hash -> (message, script run it was last used in)
        self.max_cache_age = 2
        self.runs = 0
        self.record = Record()
        self._element_bytes: dict[str, int] = {}  # of the interaction under way

    # --- transport -----------------------------------------------------------------------
    def _cookie(self, name: str) -> str | None:
        return next((c.value for c in self.jar if c.name == name), None)

    def _get(self, path: str) -> bytes:
        with self.http.open(self.url + path, timeout=self.timeout) as response:
            self._upstream(response.headers)
            return response.read()

    def _upstream(self, headers) -> None:
        # "A, B" when nginx tried A first (it was down) and B answered.
        answered = (headers.get("X-Upstream") or "").split(",")[-1].strip()
        if answered and answered not in self.record.upstreams:
            self.record.upstreams.append(answered)

    async def connect(self) -> None:
        """What the frontend does on load and on reconnect: health (cookies), then the websocket,
        offering the previous session id so a surviving server can resume it."""
        body = await asyncio.to_thread(self._get, "/_stcore/health")
        if body != b"ok":
            raise ClassroomError(f"health said {body[:80]!r}")
        protocols = ["streamlit", self._cookie("_streamlit_xsrf") or "", self.session_id or ""]
        cookies = "; ".join(f"{c.name}={c.value}" for c in self.jar)
        ws_url = "ws" + self.url[4:] + "/_stcore/stream"
        # The subprotocol header carries the XSRF token and the session id (Streamlit's convention);
        # empty entries keep their position.
        self.ws = await connect(ws_url, subprotocols=[p for p in protocols if p] or None,
                                additional_headers={"Cookie": cookies} if cookies else None,
                                max_size=None, open_timeout=self.timeout, compression=None)
        self._upstream(self.ws.response.headers)

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()

    # --- protocol ------------------------------------------------------------------------
    async def rerun(self, *, page_hash: str | None = None, fragment_id: str = "") -> int:
        """Send one rerun_script with this tab's widget states; read until script_finished.
        Returns the bytes received for it."""
        msg = BackMsg()
        state = msg.rerun_script
        state.page_script_hash = self.pages.get(self.page, "") if page_hash is None else page_hash
        state.fragment_id = fragment_id
        state.cached_message_hashes.extend(self.cache)
        state.widget_states.widgets.extend(self.states.values())
        await self.ws.send(msg.SerializeToString())
        return await self.read_until_finished()

    async def read_until_finished(self) -> int:
        received = 0
        while True:
            frame = await asyncio.wait_for(self.ws.recv(), self.timeout)
            received += len(frame)
            msg = ForwardMsg()
            msg.ParseFromString(frame)
            kind = msg.WhichOneof("type")
            element = (msg.delta.new_element.WhichOneof("type") if kind == "delta"
                       and msg.delta.WhichOneof("type") == "new_element" else kind)
            self._element_bytes[element] = self._element_bytes.get(element, 0) + len(frame)
            if kind == "ref_hash":
                if msg.ref_hash not in self.cache:
                    raise ClassroomError("server referred to a message this tab never cached")
                msg = self.cache[msg.ref_hash][0]
                kind = "delta"
            if msg.metadata.cacheable and msg.hash:
                self.cache[msg.hash] = (msg, self.runs)
            elif msg.hash in self.cache:
                self.cache[msg.hash] = (self.cache[msg.hash][0], self.runs)
            if kind == "new_session":
                self._new_session(msg.new_session)
            elif kind == "navigation":
                self.pages = {p.url_pathname if not p.is_default else "": p.page_script_hash
                              for p in msg.navigation.app_pages}
            elif kind == "delta":
                self._delta(msg)
            elif kind == "file_urls_response":
                self._file_urls = msg.file_urls_response
                return received
            elif kind == "script_finished":
                self.runs += 1
                # The browser forgets cached messages unused for max_cached_message_age runs.
                self.cache = {h: (m, r) for h, (m, r) in self.cache.items() if self.runs - r <= self.max_cache_age}
                if msg.script_finished not in FRAGMENT_DONE:
                    raise ClassroomError(f"script finished with status {msg.script_finished}")
                return received

    def _new_session(self, new_session) -> None:
        self.session_id = new_session.initialize.session_id or self.session_id
        self.max_cache_age = new_session.config.max_cached_message_age or self.max_cache_age
        if new_session.page_script_hash:
            matches = [path for path, h in self.pages.items() if h == new_session.page_script_hash]
            self.page = matches[0] if matches else self.page

    def _delta(self, msg: ForwardMsg) -> None:
        if msg.delta.WhichOneof("type") != "new_element":
            return
        element = msg.delta.new_element
        kind = element.WhichOneof("type")
        if kind == "exception":
            raise ClassroomError(f"the page raised {element.exception.type}: {element.exception.message[:120]}")
        proto = getattr(element, kind)
        widget_id = getattr(proto, "id", "")
        if kind == "bidi_component":
            self.components[proto.component_name] = proto
        if kind == "bidi_component" and widget_id:  # a custom component: found by its name
            self.widgets[proto.component_name] = Widget(widget_id, kind, proto.component_name,
                                                        msg.delta.fragment_id, proto)
        elif widget_id and hasattr(proto, "label"):
            self.widgets[proto.label] = Widget(widget_id, kind, proto.label, msg.delta.fragment_id, proto)
            if kind == "slider" and widget_id not in self.states:
                value = list(proto.value if proto.set_value else proto.default)
                self._set(widget_id, "double_array_value", value)

    def _set(self, widget_id: str, field_name: str, value) -> None:
        state = WidgetState(id=widget_id)
        target = getattr(state, field_name)
        if field_name.endswith("array_value"):
            target.data.extend(value)
        else:
            target.CopyFrom(value)
        self.states[widget_id] = state

    # --- what a student does ---------------------------------------------------------------
    async def timed(self, kind: str, action) -> None:
        self._element_bytes = {}
        start = time.perf_counter()
        received = await action()
        self.record.latency_s[kind].append(time.perf_counter() - start)
        self.record.started_at[kind].append(start)
        self.record.bytes[kind].append(received)
        totals = self.record.element_bytes[kind]
        for element, n in self._element_bytes.items():
            totals[element] = totals.get(element, 0) + n

    async def open(self) -> None:
        async def action():
            await self.connect()
            return await self.rerun(page_hash="")
        await self.timed("open", action)

    async def switch_page(self, path: str) -> None:
        if path not in self.pages:
            raise ClassroomError(f"the app has no page {path!r} (pages: {sorted(self.pages)})")
        self.page, self.widgets, self.states, self.picked, self.components = path, {}, {}, None, {}
        await self.timed("page", lambda: self.rerun(page_hash=self.pages[path]))

    async def move_latent(self) -> None:
        """Pick a random test digit in the scatter, or move off the one picked. Both run in the
        page; a pick fetches its sheet of test digits the first time this tab needs it (see the
        module docstring)."""
        pad = self.components.get(PAD)
        if pad is None:
            raise ClassroomError("no latent pad on the latent page")
        if self.ws.state is not State.OPEN:
            # The server went away: a browser hears its socket close at once and reconnects, even
            # while its actions are in the page (a killed replica behind a balancer).
            raise ConnectionClosed(None, None)
        picking = self.picked is None
        self.picked = self.rng.randrange(10_000) if picking else None
        if not picking:
            self.record.in_page += 1
            return
        data = json.loads(pad.json)
        url = BIDI_ROOT + data["testDigits"].removeprefix("../").replace("{i}", str(self.picked // data["digitsPerFile"]))
        if url in self.sheets:
            self.record.in_page += 1
            return

        async def action():
            sheet = await self._get_media(url)
            self.sheets.add(url)
            self._element_bytes["test digit sheet"] = len(sheet)
            return len(sheet)
        await self.timed("latent", action)

    async def _get_media(self, url: str) -> bytes:
        """A media file the page named. Behind a balancer, a replica killed just after it answered
        leaves its media behind it: the other replica answers 404 while this tab's websocket
        closes, and the browser shows a broken image until it reconnects and reruns. Then this
        raises ConnectionClosed (the student reconnects); any other failure is an error."""
        try:
            return await asyncio.to_thread(self._get, url)
        except urllib.error.HTTPError:
            try:
                await asyncio.wait_for(self.ws.recv(), 3.0)  # the server's socket closing raises here
            except asyncio.TimeoutError:
                pass
            raise

    async def upload(self, png: bytes, page: str = "denoise") -> None:
        """Switch the denoise page's input to Upload, then upload one digit the way the
        frontend does: ask for a file URL, PUT the file, rerun with the uploader's state."""
        await self.switch_page(page)
        source = self.widgets.get("Input")
        if source is None or source.kind != "button_group":
            raise ClassroomError("the denoise page has no 'Input' choice")
        self._set(source.id, "string_array_value", ["Upload"])
        await self.rerun()
        uploader = next((w for w in self.widgets.values() if w.kind == "file_uploader"), None)
        if uploader is None:
            raise ClassroomError("choosing Upload showed no file uploader")

        async def action():
            msg = BackMsg()
            request = msg.file_urls_request
            request.request_id, request.session_id = uuid.uuid4().hex, self.session_id
            request.file_names.append("seven.png")
            await self.ws.send(msg.SerializeToString())
            received = await self.read_until_finished()
            urls = self._file_urls
            if urls.error_msg or not urls.file_urls:
                raise ClassroomError(f"no upload URL: {urls.error_msg}")
            file_urls = urls.file_urls[0]
            await asyncio.to_thread(self._put, file_urls.upload_url, png)
            info = WidgetState(id=uploader.id).file_uploader_state_value
            uploaded = info.uploaded_file_info.add(name="seven.png", size=len(png), file_id=file_urls.file_id)
            uploaded.file_urls.CopyFrom(file_urls)
            self._set(uploader.id, "file_uploader_state_value", info)
            received += await self.rerun()
            if not any(w.kind == "download_button" for w in self.widgets.values()):
                raise ClassroomError("the upload gave no denoised result")
            return received
        await self.timed("upload", action)

    def _put(self, upload_url: str, data: bytes) -> None:
        boundary = uuid.uuid4().hex
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"seven.png\"\r\n"
                f"Content-Type: image/png\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
        url = upload_url if upload_url.startswith("http") else self.url + upload_url
        request = urllib.request.Request(url, data=body, method="PUT", headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "X-Xsrftoken": self._cookie("_streamlit_xsrf") or ""})
        with self.http.open(request, timeout=self.timeout) as response:
            self._upstream(response.headers)
            if response.status != 204:
                raise ClassroomError(f"upload answered {response.status}")

    async def reconnect(self) -> None:
        """The server went away: reconnect (through the balancer, to whichever server takes
        this tab now) and rerun the page this tab was on, as the frontend does."""
        async def action():
            deadline = time.perf_counter() + self.timeout
            while True:
                try:
                    await self.connect()
                    break
                except (OSError, ClassroomError, urllib.error.URLError):
                    if time.perf_counter() > deadline:
                        raise
                    await asyncio.sleep(0.2)
            return await self.rerun()
        await self.timed("reconnect", action)


async def student_session(url: str, index: int, seconds: float, interval: float, upload: bytes | None,
                          seed: int) -> Record:
    """One student's lesson: open the app, move latent controls about every `interval` s,
    switch pages now and then, upload once; reconnect if the server goes away."""
    rng = random.Random(seed * 1000 + index)
    student = Student(url, rng)
    end = time.perf_counter() + seconds
    # Students do not all click on the same beat.
    await asyncio.sleep(rng.uniform(0, min(interval, seconds / 4)))
    # Every tenth action a page switch (there and back), and one upload early on, each student
    # at its own step: in lockstep, 30 students' page runs arrived within the same second every
    # ten seconds, a burst no class makes unless told to, and every latent move then waited on it.
    page_phase, upload_step = rng.randrange(10), rng.randrange(1, 5)
    step = 0
    try:
        try:
            await student.open()
        except ConnectionClosed:  # the server died while the page loaded: the browser reconnects
            await student.reconnect()
        while time.perf_counter() < end:
            start = time.perf_counter()
            what = "upload" if step == upload_step else "page" if step % 10 == page_phase else "latent"
            step += 1
            try:
                if what == "upload" and upload is not None:
                    await student.upload(upload)
                    await student.switch_page("")
                elif what == "page":
                    await student.switch_page(rng.choice(["compare", "models"]))
                    await student.switch_page("")
                else:
                    await student.move_latent()
            except ConnectionClosed:
                await student.reconnect()
                if student.page != "":
                    await student.switch_page("")
            pause = interval * rng.uniform(0.7, 1.3) - (time.perf_counter() - start)
            await asyncio.sleep(max(0.0, min(pause, end - time.perf_counter())))
    except (ClassroomError, ConnectionClosed, OSError, asyncio.TimeoutError) as exc:
        student.record.errors.append(f"student {index}: {type(exc).__name__}: {exc}")
    finally:
        try:
            await student.close()
        except Exception:  # closing a dead socket says nothing about the server
            pass
    return student.record


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


SETTLED_AFTER_S = 10.0  # the opening burst: every student opens the app, and most upload, at once


def summarise(records: list[Record]) -> dict:
    starts = [t for r in records for k in KINDS for t in r.started_at[k]]
    first = min(starts, default=0.0)
    kinds = {}
    for kind in KINDS:
        times = [t for r in records for t in r.latency_s[kind]]
        sizes = [b for r in records for b in r.bytes[kind]]
        # The same, for the actions begun SETTLED_AFTER_S or more after the first one: the opening
        # burst sets most of a run's tail, and this says what the rest of the lesson is like.
        settled = [t for r in records for t, at in zip(r.latency_s[kind], r.started_at[kind])
                   if at - first >= SETTLED_AFTER_S]
        if times:
            by_element: dict[str, int] = {}
            for r in records:
                for element, n in r.element_bytes[kind].items():
                    by_element[element] = by_element.get(element, 0) + n
            kinds[kind] = {"count": len(times), "p50_ms": statistics.median(times) * 1000,
                           "p95_ms": percentile(times, 0.95) * 1000, "max_ms": max(times) * 1000,
                           "settled_p95_ms": percentile(settled, 0.95) * 1000 if settled else None,
                           "bytes_mean": statistics.mean(sizes), "bytes_max": max(sizes),
                           # where the bytes go: mean per interaction, by element type, largest first
                           "bytes_mean_by_element": {e: round(n / len(times)) for e, n in
                                                     sorted(by_element.items(), key=lambda kv: -kv[1])}}
    return {"interactions": sum(v["count"] for k, v in kinds.items() if k != "open"), "kinds": kinds,
            "in_page": sum(r.in_page for r in records),  # latent actions that asked the server nothing
            "errors": [e for r in records for e in r.errors],
            "upstreams": [r.upstreams for r in records]}  # per student, in the order they answered


async def classroom(url: str, students: int, seconds: float, interval: float = 1.0, upload: bool = True,
                    seed: int = 0) -> dict:
    """Run `students` sessions at once against `url` for `seconds`; return the summary."""
    check_local(url)
    if not 1 <= students <= MAX_STUDENTS or not 0 < seconds <= MAX_SECONDS:
        raise SystemExit(f"error: 1 to {MAX_STUDENTS} students for at most {MAX_SECONDS} s")
    png = digit_png() if upload else None
    start = time.perf_counter()
    records = await asyncio.gather(*(student_session(url, i, seconds, interval, png, seed)
                                     for i in range(students)))
    summary = summarise(list(records))
    summary.update(students=students, seconds=time.perf_counter() - start, interval_s=interval)
    summary["interactions_per_s"] = summary["interactions"] / summary["seconds"]
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, allow_abbrev=False,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="a running app (or balancer) on this machine")
    parser.add_argument("--students", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between one student's actions")
    parser.add_argument("--no-upload", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the summary here")
    args = parser.parse_args(argv)
    summary = asyncio.run(classroom(args.url, args.students, args.seconds, args.interval, not args.no_upload))
    text = json.dumps(summary, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 1 if summary["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
