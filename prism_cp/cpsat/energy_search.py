"""The search for the least energy within a makespan cap: the makespan
search's driver (`Search`: whole model up to 500 ops, else LNS) with the
energy as its cost and objective (`EnergyTerms`), and the energy bound as
its proof. A schedule above the cap never becomes the incumbent."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from prism_cp.cost.energy import energy_uj
from prism_cp.cpsat import model as cpm
from prism_cp.cpsat.energy_terms import EnergyTerms
from prism_cp.cpsat.search import Search
from prism_cp.outcome import Outcome
from prism_cp.plan import Plan, to_schedule
from prism_cp.problem import Problem
from prism_cp.schedule import Schedule, gap
from prism_cp.simulate import simulate


@dataclass
class EnergySearch(Search):
    """`Search` for the least energy within `terms.cap_us`; `energy_bound`
    is the proven bound on the energy (uJ) of every schedule within the cap."""

    terms: EnergyTerms | None = None
    energy_bound: float = -math.inf

    def cost(self, schedule: Schedule) -> float:
        """The energy (uJ), infinite above the cap."""
        assert self.terms is not None
        if schedule.makespan > self.terms.cap_us:
            return math.inf
        energy = energy_uj(self.problem, schedule)
        assert energy is not None, "the energy objective needs power figures (solve checks)"
        return energy

    def model(self, incumbent: Schedule, free: frozenset[int] | None = None, far: frozenset[int] = frozenset()) -> cpm.Model:
        return cpm.build(self.problem, incumbent, self.bound, mapping=self.mapping, free=free, far=far, energy=self.terms)

    def worth(self, value: float) -> bool:
        """Every solution: the model's value is a bound, not the energy, which the replay decides."""
        return True

    def centres(self) -> list[int]:
        """Ops that may change core type (where energy is saved), else every op."""
        two = [g for g in range(self.problem.size) if len(self.problem.allowed(g % self.problem.n_ops)) == 2]
        return two or list(range(self.problem.size))

    def report(self, what: str) -> None:
        energy = self.incumbent_cost
        self.say(f"[energy] {self.elapsed():7.2f}s {what}: energy {energy:.2f} uJ (makespan {self.incumbent.makespan:.2f} us), "
                 f"bound {self.energy_bound:.2f} uJ, gap {100 * gap(energy, self.energy_bound):.2f}%")

    def raise_bound(self, units: int) -> None:
        """Take the solver's bound (objective units) if it proves more."""
        assert self.terms is not None
        proven = self.terms.uj(units)
        if proven > self.energy_bound:
            self.energy_bound = proven
            self.report("bound raised")

    def optimal(self) -> bool:
        return self.incumbent_cost <= self.energy_bound


def cheapest_seed(problem: Problem, terms: EnergyTerms) -> Schedule:
    """The reference's dynamic policy with every op on the type where it costs
    least: the least-energy mapping, whatever its makespan."""
    return simulate(problem, [cheapest_type(problem, terms, g) for g in range(problem.size)])


def cheapest_type(problem: Problem, terms: EnergyTerms, g: int) -> str:
    """The core type global op g costs least on (the first allowed one of equal cost)."""
    n = problem.n_ops
    return min(problem.allowed(g % n), key=lambda c: terms.op[c][g % n])


PATH_STEPS = 16  # seeds between the fastest seed's mapping and the cheapest one


def mapping_path(problem: Problem, terms: EnergyTerms, fast: Schedule, steps: int = PATH_STEPS) -> list[Schedule]:
    """Seeds between `fast` and the cheapest mapping, for caps in between
    (an LNS step moves too few ops to cross that distance): `fast`'s mapping
    with the first k/steps of its ops that cost more than on their cheapest
    type moved there, those saving the most energy per microsecond of op
    time added first, each simulated by the reference's policy."""
    n, times = problem.n_ops, problem.workload.times
    cheap = [cheapest_type(problem, terms, g) for g in range(problem.size)]

    def rate(g: int) -> float:
        i, c, d = g % n, fast.core_type[g], cheap[g]
        added = times[d][i] - times[c][i]
        return math.inf if added <= 0 else (terms.op[c][i] - terms.op[d][i]) / added

    movable = sorted((g for g in range(problem.size) if terms.op[cheap[g]][g % n] < terms.op[fast.core_type[g]][g % n]), key=rate, reverse=True)
    path = []
    for k in range(1, steps):
        mapping = list(fast.core_type)
        for g in movable[: len(movable) * k // steps]:
            mapping[g] = cheap[g]
        path.append(simulate(problem, mapping))
    return path


def search_energy(
    problem: Problem, seeds: dict[str, Schedule], lower: float, cap_us: float, base: Search, *, search: bool = True, interrupted: bool = False
) -> Outcome:
    """The least-energy schedule found within `cap_us`, and the energy bound:
    from the seeds within the cap (and the cheapest mapping and the
    `mapping_path` between it and the fastest seed), searched by
    `EnergySearch` until `base`'s deadline (`search`: else the best seed);
    `lower` is the proven makespan bound and `base` the makespan search,
    used first when no seed meets the cap (until half the time left). Above
    the cap's reach (`lower > cap_us`) or without a schedule within it, the
    least-makespan schedule found, for `solve` to judge INFEASIBLE or UNKNOWN."""
    terms = EnergyTerms.of(problem, cap_us)
    if lower > cap_us:
        base.say(f"[energy] the makespan bound {lower:.2f} us exceeds the cap {cap_us:.2f} us: no schedule meets it")
        return Outcome(base.incumbent, lower, interrupted)
    fastest = min(seeds.values(), key=lambda s: s.makespan)
    found = {**seeds, "cheapest": cheapest_seed(problem, terms)} | {f"path-{k}": s for k, s in enumerate(mapping_path(problem, terms, fastest), 1)}
    within = {name: s for name, s in found.items() if s.makespan <= cap_us}
    if not within and search and not interrupted:
        base.deadline = time.perf_counter() + base.remaining() / 2
        base.report(f"no seed within the cap {cap_us:.2f} us: makespan search first")
        try:
            base.run()
        except KeyboardInterrupt:
            interrupted = True
        lower = max(lower, base.bound)
        if base.incumbent.makespan <= cap_us:
            within["makespan-search"] = base.incumbent
    if not within:
        return Outcome(base.incumbent, lower, interrupted)
    energy = EnergySearch(problem, base.incumbent, lower, base.deadline, base.t0, base.say, base.budget, base.workers, base.seed, base.mapping,
                          terms=terms, energy_bound=terms.analytic_uj(problem, lower))
    for name, schedule in within.items():
        energy.offer(to_schedule(problem, Plan.of(problem, schedule)) if search else schedule)
    energy.report("best seed within the cap")
    interrupted = energy.finish(search=search, interrupted=interrupted)
    return Outcome(energy.incumbent, lower, interrupted, energy.energy_bound)
