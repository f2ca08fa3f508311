"""The energy objective of the CP model in integer units, each term rounded
so that the model's value of a schedule is never above its exact energy
(`cost.energy`): the solver's bound is then a bound of the problem.

Why sound: every schedule within the cap is a solution of the model, with
the makespan variable at most `SCALE * (makespan + d)`, where d = ulp(cap)
bounds the rounding of a float end fl(start + T) (ends are at most the cap,
starts are exact). So an op's busy time end - start lies in [T - d, T + d],
and each coefficient takes the end of that range that makes its term
smallest, rounded down; the idle term uses makespan >= span / SCALE - d.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from prism_cp.cost.energy import powers
from prism_cp.plan import SCALE, scaled
from prism_cp.problem import Problem

EXACT_UNITS = 2**50  # the objective stays below this: the solver's (double) bound is an exact integer


@dataclass(frozen=True)
class EnergyTerms:
    """Coefficients of the energy in units of 1/`units_per_uj` uJ: `op[c][i]`
    for op i on type c, `span` per unit of the makespan variable, a constant
    `offset`, and `edges` ((src, dst), (type of src, type of dst), cost of the
    bytes crossing the link); within a makespan of at most `cap_us`, which is
    `cap_units` in the makespan variable's units."""

    cap_us: float
    cap_units: int
    units_per_uj: int
    op: dict[str, tuple[int, ...]]
    span: int
    offset: int
    edges: tuple[tuple[tuple[int, int], tuple[str, str], int], ...]

    @classmethod
    def of(cls, problem: Problem, cap_us: float) -> "EnergyTerms":
        """The terms of `problem` (whose platform has power figures) within `cap_us`."""
        plat, times = problem.platform, problem.workload.times
        power = powers(plat)
        assert power is not None, "the energy objective needs power figures (solve checks)"
        slack = Fraction(math.ulp(cap_us))
        idle = sum(Fraction(p.idle_mw) * plat.cores(c) for c, p in power.items())
        crossing = []
        if plat.link is not None:
            pj = Fraction(plat.link.pj_per_byte)
            for src, dst, tokens in problem.workload.edges.tolist():
                for su in problem.allowed(src):
                    for sv in problem.allowed(dst):
                        if su != sv:
                            crossing.append(((src, dst), (su, sv), tokens * plat.bytes_per_element(su) * pj / 10**6))
        most = sum(Fraction(max(p.active_mw, p.idle_mw)) * plat.cores(c) for c, p in power.items()) * Fraction(cap_us) / 1000
        most += problem.nbatch * sum(uj for *_, uj in crossing)
        k = 10 ** max(0, min(12, math.floor(math.log10(EXACT_UNITS / max(most, Fraction(1)))) - 1))

        def least(c: str, i: int) -> int:
            d, t = Fraction(power[c].active_mw) - Fraction(power[c].idle_mw), Fraction(times[c][i])
            busy = max(Fraction(0), t - slack) if d >= 0 else t + slack
            return math.floor(k * d * busy / 1000)

        op = {c: tuple(least(c, i) if c in problem.allowed(i) else 0 for i in range(problem.n_ops)) for c in power}
        return cls(
            cap_us,
            math.floor(SCALE * (Fraction(cap_us) + slack)),
            k,
            op,
            math.floor(k * idle / (1000 * SCALE)),
            -math.ceil(k * idle * slack / 1000),
            tuple((e, types, math.floor(k * uj)) for e, types, uj in crossing),
        )

    def uj(self, units: float) -> float:
        """`units` in uJ, rounded down to a float (a bound stays a bound)."""
        exact = Fraction(math.floor(units), self.units_per_uj)
        value = float(exact)
        return value if Fraction(value) <= exact else math.nextafter(value, -math.inf)

    def analytic_uj(self, problem: Problem, makespan_bound_us: float) -> float:
        """A bound on the energy of any schedule within the cap: each op on its
        cheapest type, the idle draw over the proven least makespan, no bytes moved."""
        ops = sum(min(self.op[c][i] for c in problem.allowed(i)) for i in range(problem.n_ops)) * problem.nbatch
        return self.uj(ops + self.offset + self.span * scaled(makespan_bound_us))
