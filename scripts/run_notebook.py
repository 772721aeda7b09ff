"""Executes notebooks headless with nbclient, one fresh kernel per notebook, in order.

Called by scripts/run-notebooks.js with .venv's Python and the project's Jupyter environment;
run that instead (`npm run test:notebooks`). A notebook fails on the first cell that errors,
writes anything to stderr, produces an `error` output, times out, or is skipped by the kernel.

Why not `allow_errors`: after an error tslab aborts ("abort" status, no outputs) every request
that arrives in the next 200 ms, and nbclient treats that status as success, so later cells
would be skipped silently. This runner stops at the first error instead, and also fails any
cell whose reply status is not "ok".
"""

from __future__ import annotations

import argparse
import atexit
import asyncio
import os
import re
import signal
import sys
import time

import nbformat
from jupyter_core.utils import ensure_async
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
MAX_ERROR_LINES = 30
INTERRUPTED = False


class CellFailure(Exception):
    def __init__(self, cell_index: int, cell, reason: str, detail: str = ""):
        super().__init__(reason)
        self.cell_index = cell_index
        self.cell = cell
        self.reason = reason
        self.detail = detail
        self.code_number = 0


# Stack frames of the kernel's own machinery say nothing about the notebook.
NOISE_FRAME = re.compile(r"^\s+at .*(node_modules[\\/]tslab[\\/]|\(node:vm:|\(node:internal|^\s+at node:)")


def clean(text: str) -> str:
    lines = ANSI.sub("", text).rstrip().splitlines()
    return "\n".join(line for line in lines if not NOISE_FRAME.search(line))


def cell_problem_text(cell) -> str:
    """The error text a cell produced: error outputs and stderr, in order."""
    parts = []
    for out in cell.get("outputs", []):
        kind = out.get("output_type")
        if kind == "error":
            traceback = "\n".join(clean(line) for line in out.get("traceback", []))
            head = f"{out.get('ename', 'Error')}: {out.get('evalue', '')}".rstrip(": ")
            parts.append(traceback if head in traceback else f"{head}\n{traceback}".rstrip())
        elif kind == "stream" and out.get("name") == "stderr":
            parts.append(clean(out.get("text", "")))
    return "\n".join(p for p in parts if p)


def first_source_line(cell) -> str:
    for line in cell.get("source", "").splitlines():
        if line.strip():
            return line.strip()[:100]
    return ""


async def execute(nb, path: str, kernel: str, cell_timeout: int, startup_timeout: int) -> None:
    replies: dict[int, dict] = {}

    def on_cell_executed(cell, cell_index, execute_reply):
        replies[cell_index] = execute_reply

    client = NotebookClient(
        nb,
        kernel_name=kernel,
        timeout=cell_timeout,
        startup_timeout=startup_timeout,
        allow_errors=False,
        record_timing=False,
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}},
        on_cell_executed=on_cell_executed,
    )
    async with client.async_setup_kernel():
        # nbclient's own handlers shut the kernel down on SIGINT/SIGTERM, and execution then
        # fails with a dead kernel: remember that it was an interruption, not a failure.
        loop = asyncio.get_running_loop()

        def on_signal() -> None:
            global INTERRUPTED
            INTERRUPTED = True
            asyncio.ensure_future(client._async_cleanup_kernel())
            atexit.unregister(client._cleanup_kernel)

        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, on_signal)
            except (NotImplementedError, RuntimeError):
                pass
        watch = watch_late_output(client)
        info_id = await ensure_async(client.kc.kernel_info())
        info = await client.async_wait_for_reply(info_id)
        if info is not None and "language_info" in info["content"]:
            nb.metadata["language_info"] = info["content"]["language_info"]
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code" or not cell.source.strip():
                continue
            tags = cell.metadata.get("tags", [])
            if client.skip_cells_with_tag in tags:
                continue
            try:
                await client.async_execute_cell(
                    cell, index, execution_count=client.code_cells_executed + 1
                )
            except CellTimeoutError:
                raise CellFailure(
                    index, cell, f"timed out after {cell_timeout} s (--cell-timeout)",
                    cell_problem_text(cell),
                ) from None
            except DeadKernelError as err:
                raise CellFailure(index, cell, f"the kernel died ({err})", cell_problem_text(cell)) from None
            except CellExecutionError as err:
                detail = cell_problem_text(cell) or clean(str(err))
                raise CellFailure(index, cell, "raised an error", detail) from None
            status = (replies.get(index) or {}).get("content", {}).get("status")
            allowed_error = "raises-exception" in tags and status == "error"
            if status != "ok" and not allowed_error:
                raise CellFailure(
                    index, cell,
                    f"the kernel answered with status {status!r} (the cell did not run)",
                    cell_problem_text(cell),
                )
            if allowed_error:
                # tslab drops requests for 200 ms after an error: let that window pass.
                await asyncio.sleep(0.4)
                continue
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    raise CellFailure(index, cell, "produced an error output", cell_problem_text(cell))
                if out.get("output_type") == "stream" and out.get("name") == "stderr":
                    raise CellFailure(index, cell, "wrote to stderr", cell_problem_text(cell))
            check_late(nb, watch)
        # Output that arrives just after the last cell (a timer, an unhandled rejection).
        watch["current"] = None
        await drain_iopub(client, seconds=0.5)
        check_late(nb, watch)


def watch_late_output(client) -> dict:
    """Records stderr/error messages that belong to a cell that has already finished.

    tslab sends output written after a cell's reply (by a timer or an unhandled promise
    rejection) under that finished cell's request; nbclient drops such messages. JupyterLab
    would show them in that cell, so they count as that cell's failure.
    """
    kc = client.kc
    watch = {"cell_of": {}, "current": None, "next_index": -1, "late": []}
    original_execute = kc.execute
    original_get_msg = kc.iopub_channel.get_msg
    original_hook = client.on_cell_execute

    def on_cell_execute(cell, cell_index):
        watch["next_index"] = cell_index
        if original_hook:
            original_hook(cell=cell, cell_index=cell_index)

    def execute(code, *args, **kwargs):
        msg_id = original_execute(code, *args, **kwargs)
        watch["cell_of"][msg_id] = watch["next_index"]
        watch["current"] = msg_id
        return msg_id

    async def get_msg(*args, **kwargs):
        msg = await ensure_async(original_get_msg(*args, **kwargs))
        parent = msg.get("parent_header", {}).get("msg_id")
        if parent in watch["cell_of"] and parent != watch["current"]:
            kind = msg.get("msg_type")
            content = msg.get("content", {})
            if kind == "stream" and content.get("name") == "stderr":
                watch["late"].append((parent, clean(content.get("text", ""))))
            elif kind == "error":
                watch["late"].append((parent, clean("\n".join(content.get("traceback", [])))))
        return msg

    client.on_cell_execute = on_cell_execute
    kc.execute = execute
    kc.iopub_channel.get_msg = get_msg
    return watch


async def drain_iopub(client, seconds: float) -> None:
    """Reads iopub for a moment after the last cell, so late output is seen."""
    deadline = time.monotonic() + seconds
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        try:
            await ensure_async(client.kc.iopub_channel.get_msg(timeout=remaining))
        except Exception:  # queue.Empty when nothing came
            return


def check_late(nb, watch) -> None:
    if not watch["late"]:
        return
    parent, _ = watch["late"][0]
    texts = [text for p, text in watch["late"] if p == parent]
    index = watch["cell_of"].get(parent, -1)
    cell = nb.cells[index] if 0 <= index < len(nb.cells) else {}
    raise CellFailure(
        index, cell,
        "wrote to stderr after it had finished (a timer or an unhandled promise rejection?)",
        "\n".join(t for t in texts if t),
    )


def report_failure(name: str, failure: CellFailure) -> list[str]:
    lines = [f"  {name}: cell {failure.cell_index + 1} (code cell {failure.code_number}) {failure.reason}"]
    source = first_source_line(failure.cell)
    if source:
        lines.append(f"    > {source}")
    detail = failure.detail.splitlines()
    if len(detail) > MAX_ERROR_LINES:
        detail = detail[:MAX_ERROR_LINES] + [f"... ({len(detail) - MAX_ERROR_LINES} more lines)"]
    lines += [f"    {line}" for line in detail]
    return lines


def interrupt(signum, frame):
    global INTERRUPTED
    INTERRUPTED = True
    raise KeyboardInterrupt


def main() -> int:
    global INTERRUPTED
    signal.signal(signal.SIGTERM, interrupt)
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("notebooks", nargs="+")
    ap.add_argument("--cell-timeout", type=int, default=120)
    ap.add_argument("--startup-timeout", type=int, default=60)
    ap.add_argument("--kernel", default="tslab")
    ap.add_argument("--write", action="store_true", help="save outputs back into the notebooks")
    ap.add_argument("--out-dir", required=True, help="where executed copies go")
    ap.add_argument("--root", default=os.getcwd(), help="paths are printed relative to this")
    args = ap.parse_args()

    passed = failed = 0
    failures: list[str] = []
    width = max(len(os.path.relpath(p, args.root)) for p in args.notebooks)
    for path in args.notebooks:
        name = os.path.relpath(path, args.root)
        started = time.monotonic()
        nb = nbformat.read(path, as_version=4)
        problem: list[str] = []
        try:
            asyncio.run(execute(nb, path, args.kernel, args.cell_timeout, args.startup_timeout))
        except CellFailure as failure:
            failure.code_number = sum(1 for c in nb.cells[: failure.cell_index + 1] if c.cell_type == "code")
            problem = report_failure(name, failure)
        except KeyboardInterrupt:
            INTERRUPTED = True
        except Exception as err:  # kernel did not start, unreadable notebook, ...
            problem = [f"  {name}: {type(err).__name__}: {clean(str(err))}"]
        if INTERRUPTED:
            print(f"{name.ljust(width)}  interrupted", flush=True)
            print(f"{passed} passed, {failed + 1} failed", flush=True)
            return 130
        elapsed = time.monotonic() - started
        in_place = args.write and not problem
        target = path if in_place else os.path.join(args.out_dir, os.path.basename(path))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        nbformat.write(nb, target)
        status = "ok" if not problem else "FAILED"
        print(f"{name.ljust(width)}  {elapsed:6.1f} s  {status}", flush=True)
        if problem:
            failed += 1
            failures += problem
            failures.append(f"    executed copy: {os.path.relpath(target, args.root)}")
            for line in problem:
                print(line, flush=True)
        else:
            passed += 1
    if failures and len(args.notebooks) > 1:
        print("\nfailures:")
        for line in failures:
            print(line)
    print(f"{passed} passed, {failed} failed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
