"""Record generators of the simulated sources: when records happen and what they hold.

A generator turns simulated time into records. Entities (a work order, a grid incident, a
whistle task, ...) arrive at the rate of the inventory's per_day, shaped by an hourly profile
(12345 calls peak in office hours, sensors are flat), and each entity's whole life is a pure
function of (seed, world, index): its own RNG, its own timeline. So the four 12345 systems
(work orders, their event log, the quality checks and the call-backs) describe the same
orders even when simulated in different processes, a whistle task names a real grid incident,
and a run is deterministic for a seed whatever the speed or the machine's load. Events are
processed strictly in simulated-time order from one heap.

Kinds of generator:
  Gen          one record per arrival, values from the schema (simvalues.RecordMaker)
  RegistryGen  a register (snapshot of N rows, then per_day changes and additions)
  FleetGen     N devices each reporting every interval (streetlights, stations, villages)
  world-based  the systems the city names (HotlineGen, IncidentGen, WhistleGen, ...)
"""
import bisect
import heapq
import math
import random
import time

import citymodel as cm
import simvalues as sv
from simvalues import DAY, TZ

gs = cm.gs
HOUR = 3600
REG_EPOCH = 1735660800  # 2025-01-01 00:00 +08:00: when the registers were first filled

# hourly shapes of arrivals (local time), normalised when used
PROFILES = {
    "flat": [1] * 24,
    "office": [0.1, 0.05, 0.05, 0.05, 0.1, 0.2, 0.5, 1.2, 2.6, 3.2, 3.0, 2.4, 1.2, 1.4, 2.6,
               3.0, 2.8, 2.0, 1.0, 0.7, 0.5, 0.4, 0.2, 0.15],
    "calls": [0.25, 0.15, 0.1, 0.1, 0.15, 0.3, 0.7, 1.4, 2.2, 2.6, 2.5, 2.0, 1.3, 1.5, 2.1,
              2.3, 2.2, 1.8, 1.4, 1.2, 1.0, 0.8, 0.6, 0.4],
    "traffic": [0.2, 0.1, 0.1, 0.1, 0.2, 0.6, 1.6, 2.6, 2.2, 1.5, 1.3, 1.4, 1.5, 1.3, 1.3,
                1.4, 1.8, 2.6, 2.4, 1.6, 1.2, 0.9, 0.6, 0.4],
}


class Arrivals:
    """Entity k arrives at time_of(k); count_at(t) entities have arrived by t"""

    def __init__(self, per_day, profile="flat"):
        p = PROFILES[profile]
        tot = float(sum(p))
        self.F = [0.0]
        for w in p:
            self.F.append(self.F[-1] + w / tot)
        self.per_day = float(per_day)

    def count_at(self, t):
        days, sod = divmod(t + TZ, DAY)
        h = sod / 3600.0
        i = min(int(h), 23)
        f = self.F[i] + (self.F[i + 1] - self.F[i]) * (h - i)
        return self.per_day * (days + f)

    def time_of(self, k):
        x = (k + 0.5) / self.per_day
        days = math.floor(x)
        r = x - days
        i = min(bisect.bisect_right(self.F, r) - 1, 23)
        span = self.F[i + 1] - self.F[i]
        h = i + ((r - self.F[i]) / span if span > 0 else 0)
        return days * DAY + h * 3600 - TZ

    def first(self, t):
        return int(math.ceil(self.count_at(t) - 0.5))


def period_start(t, cycle):
    """Start of the cycle period holding @p t (local time): day, Monday, 1st of the month"""
    tm = time.gmtime(int(t) + TZ)
    mid = sv.local_midnight(t)
    if cycle == "hourly":
        return int(t) - int(t) % 3600
    if cycle == "daily":
        return mid
    if cycle == "weekly":
        return mid - tm.tm_wday * DAY
    if cycle == "monthly":
        return mid - (tm.tm_mday - 1) * DAY
    return int(t)


def next_period(t, cycle):
    if cycle == "hourly":
        return t + 3600
    if cycle == "daily":
        return t + DAY
    if cycle == "weekly":
        return t + 7 * DAY
    if cycle == "monthly":
        tm = time.gmtime(int(t) + TZ + 40 * DAY)
        return sv.local_midnight(t + 40 * DAY) - (tm.tm_mday - 1) * DAY
    return t


def rng_for(seed, *parts):
    return random.Random(":".join(str(p) for p in (seed,) + parts))


class Gen:
    """One record per arrival, generic values"""
    profile = "flat"
    per_entity = 1.0  # records per entity, on average (the arrival rate is per_day / this)
    warmup = 0        # simulated seconds of life before the start whose records are dropped

    def __init__(self, sim, sysd, schema):
        self.sim, self.sysd, self.schema = sim, sysd, schema
        self.cid, self.record = sysd["cid"], sysd["record"]
        self.seed = sim.seed
        self.maker = sv.RecordMaker(schema, self.record)
        self.key = self.maker.key
        self.arr = self.arrivals()
        self.heap = []
        self.pushed = 0
        self.k = None
        self.emit_from = None

    def arrivals(self):
        return Arrivals(self.sysd["per_day"] / self.per_entity, self.profile)

    def begin(self, t):
        """Start producing records of times >= @p t"""
        self.emit_from = t
        self.k = self.arr.first(t - self.warmup)

    def later(self, t, k, step, fn, *args):
        self.pushed += 1  # never compare two functions: the push order breaks a tie
        heapq.heappush(self.heap, (t, k, step, self.pushed, fn, args))

    def advance(self, t1):
        out = []
        while True:
            ta = self.arr.time_of(self.k)
            if self.heap and self.heap[0][0] <= ta:
                if self.heap[0][0] > t1:
                    break
                t, k, step, _, fn, args = heapq.heappop(self.heap)
                recs = fn(t, k, *args)
            else:
                if ta > t1:
                    break
                k = self.k
                self.k += 1
                t = ta
                recs = self.arrive(k, ta)
            for j, (rt, rec) in enumerate(recs):
                if rt > t:  # a later version of the record: due at its own time
                    self.later(rt, k, 10000 + j, self._due, rec)
                elif rt >= self.emit_from:
                    out.append((rt, rec))
        return out

    @staticmethod
    def _due(t, k, rec):
        return [(int(t), rec)]

    def grid(self, rng):
        unit = self.sysd["unit"]
        city = cm.get()
        if unit == "fuji":
            return rng.choice(rng.choice(city.fuji_villages()).grids)
        if unit == "urban" or self.cid in ("police.video_alerts", "housing.property_mgmt"):
            return city.pick_grid(rng, 0.92)
        return city.pick_grid(rng)

    def day_seq(self, k, t):
        return k - self.arr.first(sv.local_midnight(t)) + 1

    def arrive(self, k, t):
        rng = rng_for(self.seed, self.cid, k)
        ctx = sv.Ctx(rng, int(t), self.grid(rng), k + 1, self.day_seq(k, t))
        rec = self.maker.make(ctx)
        self.tweak(rec, ctx)
        return [(int(t), rec)]

    def tweak(self, rec, ctx):
        """System-specific corrections of a generic record"""

    def snapshot(self, t):
        return []


class RegistryGen(Gen):
    """A register: N rows at the start (the table's content, or the first export), then
    per_day changes: an existing row changed (80%) or a new one"""

    def __init__(self, sim, sysd, schema, size):
        super().__init__(sim, sysd, schema)
        self.size = size
        self.upd = [f.name for f in self.maker.fields if f.name == "updated_at"]

    def base(self, i):
        rng = rng_for(self.seed, self.cid, "key", i)
        t = REG_EPOCH + i * 97
        ctx = sv.Ctx(rng, t, self.grid(rng), i + 1, i % 99999 + 1)
        rec = self.maker.make(ctx)
        self.tweak(rec, ctx)
        return rec

    def snapshot(self, t):
        out = []
        for i in range(self.size):
            rec = self.base(i)
            for u in self.upd:
                rec[u] = REG_EPOCH + i * 97
            out.append(rec)
        return out

    def arrive(self, k, t):
        rng = rng_for(self.seed, self.cid, "change", k)
        if rng.random() < 0.8 and self.size:
            i = rng.randrange(self.size)
        else:
            i = self.size + k
        rec = self.base(i)
        # a few values change
        fresh = sv.Ctx(rng, int(t), self.grid(rng), i + 1, i + 1)
        for f, mk in zip(self.maker.fields, self.maker.makers):
            if f.name != self.key and f.kind not in ("string",) and rng.random() < 0.3:
                rec[f.name] = mk(fresh)
        for u in self.upd:
            rec[u] = int(t)
        return [(int(t), rec)]


class FleetGen(Gen):
    """N devices (or places) reporting every @p interval seconds"""

    def __init__(self, sim, sysd, schema, devices, interval, reading):
        self.devices, self.interval, self.reading = devices, interval, reading
        super().__init__(sim, sysd, schema)

    def arrivals(self):
        return None

    def begin(self, t):
        self.emit_from = t
        self.k = int(math.ceil((t + TZ) / self.interval)) * len(self.devices)

    def advance(self, t1):
        out = []
        n = len(self.devices)
        while True:
            slot, d = divmod(self.k, n)
            t = slot * self.interval - TZ
            if t > t1:
                break
            self.k += 1
            rng = rng_for(self.seed, self.cid, self.k)
            rec = self.reading(rng, t, self.devices[d], self)
            if t >= self.emit_from:
                out.append((t, rec))
        return out
