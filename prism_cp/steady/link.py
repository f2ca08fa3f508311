"""The link in a modulo schedule: which edges cross it, the ticks each
transfer reserves, and where transfers go around the period.

The link's channels are one resource of `channels` servers (0: unlimited,
no resource). A transfer reserves the most ticks it can hold a channel
(as an op reserves `modulo.most_ticks`), folded modulo the period P: at
every residue at most `channels` transfers hold the link. No channel is
fixed in the periodic schedule: on the unrolled line at most `channels`
transfers overlap at any tick, so giving each, in start order, the lowest
free channel never needs more (`unroll.channels_of`). Such an arrangement
exists exactly when the reserved ticks sum to at most channels x P
(McNaughton's wrap-around: lay them back to back on a line of channels x P
ticks; each residue is covered at most `channels` times), which is what
`modulo.pack` checks; precedence only shifts transfers by whole periods.
"""

from __future__ import annotations

from typing import Sequence

from prism_cp.problem import Problem

Core = tuple[str, int]


def edges(problem: Problem) -> list[tuple[int, int]]:
    """The edges of one batch, in the order `ModuloSchedule.transfer` lists them."""
    return list(problem.edge_tokens)


def reserved(problem: Problem, edge: tuple[int, int], producer: str) -> int:
    """The most ticks the transfer over `edge` holds a channel when its
    producer runs on `producer` (at any start tick)."""
    return problem.transfer_ticks[producer][edge][1]


def crossing(problem: Problem, cores: Sequence[Core]) -> list[str | None]:
    """Per edge of one copy mapped to `cores`: its producer's core type where
    the edge crosses the link, else None (always None without a link)."""
    if problem.platform.link is None:
        return [None] * len(problem.edge_tokens)
    return [cores[u][0] if cores[u][0] != cores[v][0] else None for u, v in problem.edge_tokens]


def delays(problem: Problem, cores: Sequence[Core]) -> dict[tuple[int, int], int]:
    """Per edge of one copy: the ticks its transfer reserves (0: none)."""
    return {e: (0 if c is None else reserved(problem, e, c)) for e, c in zip(edges(problem), crossing(problem, cores))}


def shifts(ticks: int, period: int) -> range:
    """Offsets of the line intervals that fold a reservation of `ticks` from
    residue r onto the circle: [r + s, r + s + ticks) for each s. With
    ceil(ticks / P) + 1 copies every point of the last period of the line
    is covered exactly as often as its residue is on the circle (two copies
    when ticks <= P, as for ops), and no point more."""
    return range(0, (-(-ticks // period) + 1) * period, period)


def residues(channels: int, period: int, wish: dict[tuple[int, int], tuple[int, int]]) -> dict[tuple[int, int], int] | None:
    """Per transfer key: its residue on the link, given (wished start tick,
    reserved ticks) per key; None with unlimited channels (every transfer
    starts when ready). In order of wished residue, each goes on the
    channel circle where it starts soonest at or after its wish, within one
    turn from the first wish; when one does not fit, all go back to back
    from the first wish on a line of channels x P ticks (valid whenever
    their ticks sum to at most channels x P, as `pack` ensures)."""
    if not channels:
        return None
    if not wish:
        return {}
    order = sorted(wish, key=lambda key: (wish[key][0] % period, key))
    first = wish[order[0]][0] % period
    end = [first] * channels
    at: dict[tuple[int, int], int] = {}
    for key in order:
        w, d = wish[key][0] % period, wish[key][1]
        fits = [(max(w, e), h) for h, e in enumerate(end) if max(w, e) + d <= first + period]
        if not fits:
            line = first
            for key2 in order:
                at[key2] = line % period
                line += wish[key2][1]
            return at
        pos, h = min(fits)
        at[key] = pos % period
        end[h] = pos + d
    return at
