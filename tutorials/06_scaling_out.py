# ---
# jupyter:
#   jupytext:
#     formats: py:percent,ipynb
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 06 - Scaling out: processes, dask, checkpoints
#
# A profile scan is many independent-ish fits. `profile_scan(..., backend=...)` runs them
#
# * `"serial"`: in this process;
# * `"processes"`: in a local process pool (`workers=` processes, default all cores);
# * `"dask"`: on a dask cluster, a `LocalCluster` it starts itself or any running
#   scheduler given by `scheduler="tcp://host:8786"`.
#
# The grid is cut into *chunks* that depend only on the grid (blocks of 25 points of a 1D
# scan, rows of a 2D scan). Within a chunk each fit starts from the previous point's
# solution. Because the chunks never depend on the backend or the number of workers,
# **the results are identical on every backend**, bit for bit. Every finished point is
# appended to an optional JSON-lines *checkpoint*; rerunning the same scan with the same
# checkpoint skips what is done and continues each chunk where it stopped.
#
# We use a 50-point scan of sin^2(theta_W) on Dresden-II (two chunks, one per worker of
# this two-core example).

# %%
import contextlib
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from cevns.config import load_experiment
from cevns.stats.scan import grid_axis, profile_scan
from cevns.viz.plotting import plot_scan, save

exp = load_experiment("dresden_ii")
cost = exp.cost("sin2w")
grid = {"sin2_theta_w": grid_axis(0.1, 0.5, 50)}

# %% [markdown]
# ## Serial and local processes
#
# The process pool forks the current process, so the cost (with its cached signal
# templates) is inherited by every worker without being pickled.

# %%
timings = {}
t0 = time.perf_counter()
serial = profile_scan(cost, grid, backend="serial")
timings["serial"] = time.perf_counter() - t0

t0 = time.perf_counter()
processes = profile_scan(cost, grid, backend="processes", workers=2)
timings["processes"] = time.perf_counter() - t0

print("identical chi2 (processes vs serial):", np.array_equal(serial.chi2, processes.chi2))
print(serial.interval(cl=0.6827))

# %% [markdown]
# ## dask
#
# Here we start a small `LocalCluster` ourselves and hand its address to `profile_scan`.
# `processes=False` runs the two workers as threads of this process: it starts in a
# second and needs no `if __name__ == "__main__":` guard, which worker *processes* do when
# a plain script starts them (they are spawned and re-import the main module). Threads
# share the GIL, so this shows the mechanics rather than a speed-up; on a real cluster each
# worker is its own process or machine.

# %%
from dask.distributed import Client, LocalCluster

cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0")
print("scheduler:", cluster.scheduler_address)
t0 = time.perf_counter()
on_dask = profile_scan(cost, grid, backend="dask", scheduler=cluster.scheduler_address)
timings["dask (2 threads)"] = time.perf_counter() - t0

# make sure no client is still connected before the cluster goes away (some cevns
# versions left the scan's own Client open, which then logs reconnection errors)
with contextlib.suppress(ValueError):
    Client.current().close()
cluster.close()

print("identical chi2 (dask vs serial):", np.array_equal(serial.chi2, on_dask.chi2))
print(
    "identical profiled nuisances:",
    all(np.array_equal(serial.profiled[k], on_dask.profiled[k]) for k in serial.profiled),
)
for name, t in timings.items():
    print(f"{name:18s} {t:6.2f} s")

# %% [markdown]
# With half a second of work per backend the start-up costs dominate and no speed-up is
# visible; for a real scan (minutes to hours, e.g. a 2D light-mediator grid of 40 x 60
# points) the wall time scales down with the number of workers.
#
# ### Pointing it at a real cluster
#
# Start a scheduler and workers wherever you have cores (same Python environment with
# `cevns[dask]` installed and the data reachable through `CEVNS_DATA_DIR`):
#
# ```bash
# dask scheduler                       # on the head node, listens on tcp://host:8786
# dask worker tcp://host:8786 --nworkers 32 --nthreads 1   # on each compute node
# ```
#
# then give the address to the scan, in Python or on the command line:
#
# ```python
# scan = profile_scan(cost, grid, backend="dask", scheduler="tcp://host:8786")
# ```
#
# ```bash
# cevns scan dresden_ii --model light_zprime --param mediator_mass_mev=1:1000:40 \
#     --log mediator_mass_mev --param g_nu_g_q=-1e-6:0:60 \
#     --backend dask --scheduler tcp://host:8786 --checkpoint scan.jsonl --json scan.json
# ```
#
# (`dask-jobqueue` creates such clusters on SLURM/PBS/HTCondor; its
# `cluster.scheduler_address` goes into `scheduler=` the same way.) Use one thread per
# worker: the fits are pure Python plus small numpy operations and do not release the GIL.
#
# ## Checkpoints and resuming
#
# A checkpoint is a JSON-lines file: a header with the scan's id (a hash of the grid, the
# fixed values and the parameter names, so a checkpoint of another scan is refused), then
# one line per finished point, written atomically by whichever process computed it.

# %%
ckpt = Path("06_scan_checkpoint.jsonl")
ckpt.unlink(missing_ok=True)
full = profile_scan(cost, grid, checkpoint=ckpt)
lines = ckpt.read_text().splitlines()
print(f"checkpoint: header + {len(lines) - 1} points")

# Simulate a scan killed after 30 points (e.g. a batch job hitting its time limit) ...
ckpt.write_text("\n".join(lines[:31]) + "\n")
print(f"after the 'kill': header + {len(ckpt.read_text().splitlines()) - 1} points")
# ... and resume it (on any backend): 30 points are read back, 20 are computed.
t0 = time.perf_counter()
resumed = profile_scan(cost, grid, checkpoint=ckpt, backend="processes", workers=2)
print(f"resumed in {time.perf_counter() - t0:.2f} s")
print(f"after resuming: header + {len(ckpt.read_text().splitlines()) - 1} points")
print("resumed == uninterrupted:", np.array_equal(full.chi2, resumed.chi2))

# %% [markdown]
# A resumed scan is bit-identical to an uninterrupted one because each chunk restarts
# from its last finished point, exactly as it would have continued. On the command line,
# rerunning the same `cevns scan ... --checkpoint scan.jsonl` resumes; after `Ctrl-C` the
# message says how many points are safe in the file.

# %%
fig = plot_scan(resumed, cls=(0.6827, 0.9545))
fig.axes[0].set_title("Dresden-II, 50 points, resumed from a checkpoint")
save(fig, "06_resumed_scan.png")
plt.close(fig)
