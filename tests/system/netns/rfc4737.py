"""A brute-force reference model of netbench's loss and ordering metrics, as
DESIGN.md defines them (RFC 4737), for checking netbench against the
sequence numbers an impairment path actually delivered.

Written from the definitions, not from netbench's code: a set of numbers
received and NextExp = highest seen + 1, nothing clever.
"""

from __future__ import annotations


def log2_buckets(values: list[int]) -> list[dict]:
    """Values grouped as docs/schema.md's distributions: bucket `from` holds
    values from `from` up to twice it (exclusive); bucket 0 holds 0."""
    counts: dict[int, int] = {}
    for v in values:
        base = 0 if v == 0 else 1 << (v.bit_length() - 1)
        counts[base] = counts.get(base, 0) + 1
    return [{"from": b, "count": c} for b, c in sorted(counts.items())]


def flow_metrics(arrivals: list[int], sent: int) -> dict:
    """Metrics of one flow whose sender sent numbers 0..sent-1 and whose
    receiver saw `arrivals` in that order."""
    received: set[int] = set()
    next_exp = 0
    reordered = duplicates = 0
    extents: list[int] = []
    for seq in arrivals:
        if seq in received:
            duplicates += 1  # a second copy, whatever its position
        elif seq >= next_exp:
            next_exp = seq + 1  # in order, or ahead of a gap
        else:
            reordered += 1  # below NextExp and fills a gap: late, not lost
            extents.append(next_exp - seq)
        received.add(seq)
    unique = len([s for s in received if s < sent])
    bursts: list[int] = []
    run = 0
    for seq in range(sent):
        if seq in received:
            if run:
                bursts.append(run)
            run = 0
        else:
            run += 1
    if run:
        bursts.append(run)
    return {
        "messages": len(arrivals),
        "unique": unique,
        "duplicates": duplicates,
        "reordered": reordered,
        "reorder_extent_count": len(extents),
        "reorder_extent_sum": sum(extents),
        "reorder_extent_max": max(extents, default=0),
        "reorder_extent_buckets": log2_buckets(extents),
        "lost": sent - unique,
        "loss_bursts": len(bursts),
        "loss_burst_sum": sum(bursts),
        "loss_burst_max": max(bursts, default=0),
        "loss_burst_buckets": log2_buckets(bursts),
    }


def _self_test() -> None:
    # 0 1 3 2 2 5 (sent 7): 3 ahead opens gap {2}; 2 fills it (extent 4-2=2);
    # the second 2 is a duplicate; 5 opens {4}; 6 never comes: bursts {4},{6}.
    m = flow_metrics([0, 1, 3, 2, 2, 5], 7)
    assert m["reordered"] == 1 and m["reorder_extent_max"] == 2, m
    assert m["duplicates"] == 1 and m["lost"] == 2 and m["loss_bursts"] == 2, m
    assert m["loss_burst_max"] == 1 and m["unique"] == 5, m
    assert log2_buckets([0, 1, 2, 3, 4, 7, 8]) == [
        {"from": 0, "count": 1}, {"from": 1, "count": 1}, {"from": 2, "count": 2},
        {"from": 4, "count": 2}, {"from": 8, "count": 1}]


_self_test()
