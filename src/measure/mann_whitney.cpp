#include "netbench/mann_whitney.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include "netbench/distributions.hpp"

namespace netbench::stats {
namespace {

/// Rank sum of a in a ∪ b with midranks for ties, the tie term Σ(t³ − t)
/// over groups of t equal values, and whether there were ties.
struct Ranking {
  double rank_sum_a = 0;
  double tie_term = 0;
  bool ties = false;
};

Ranking rank(std::span<const double> a, std::span<const double> b) {
  // (value, belongs to a), sorted by value.
  std::vector<std::pair<double, bool>> all;
  all.reserve(a.size() + b.size());
  for (const double x : a) all.emplace_back(x, true);
  for (const double x : b) all.emplace_back(x, false);
  std::sort(all.begin(), all.end(), [](const auto& l, const auto& r) { return l.first < r.first; });
  Ranking out;
  for (std::size_t i = 0; i < all.size();) {
    std::size_t j = i + 1;
    while (j < all.size() && all[j].first == all[i].first) ++j;
    // Positions i … j−1 share ranks i+1 … j: their midrank is (i+1+j)/2.
    const double midrank = static_cast<double>(i + 1 + j) / 2;
    const auto t = static_cast<double>(j - i);
    if (j - i > 1) {
      out.ties = true;
      out.tie_term += t * t * t - t;
    }
    for (std::size_t k = i; k < j; ++k) {
      if (all[k].second) out.rank_sum_a += midrank;
    }
    i = j;
  }
  return out;
}

}  // namespace

std::string_view to_string(UTestMethod m) noexcept {
  switch (m) {
    case UTestMethod::kNone:
      return "none";
    case UTestMethod::kExact:
      return "exact";
    case UTestMethod::kAsymptotic:
      return "asymptotic";
  }
  return "none";
}

std::vector<double> mann_whitney_null_pmf(std::size_t m, std::size_t n) {
  // The distribution is symmetric in (m, n); iterate over the larger so that
  // the table kept in memory (one pmf per j ≤ small) stays small.
  const std::size_t large = std::max(m, n);
  const std::size_t small = std::min(m, n);
  // table[j] = P_{i,j} for the current i and every j ≤ small, updated in
  // place as i grows; capacity for i = large reserved up front, so no
  // reallocation inside the loops.
  std::vector<std::vector<double>> table(small + 1);
  for (std::size_t j = 0; j <= small; ++j) {
    table[j].reserve(large * j + 1);
    table[j].assign(1, 1.0);  // P_{0,j}: U = 0 surely
  }
  for (std::size_t i = 1; i <= large; ++i) {
    // table[0] stays P_{i,0} = {1}.
    for (std::size_t j = 1; j <= small; ++j) {
      const double from_i = static_cast<double>(i) / static_cast<double>(i + j);
      const double from_j = static_cast<double>(j) / static_cast<double>(i + j);
      // The largest of the i + j values belongs to the first sample (it
      // beats all j of the other: U − j from P_{i−1,j}, the old table[j]) or
      // to the second (it beats none: U from P_{i,j−1}, the new table[j−1]).
      std::vector<double>& cur = table[j];
      const std::vector<double>& prev_j = table[j - 1];
      cur.resize(i * j + 1, 0.0);
      // Downwards: cur[u − j] still holds P_{i−1,j} when cur[u] is written.
      for (std::size_t u = cur.size(); u-- > 0;) {
        const double old_i = u >= j ? cur[u - j] : 0.0;
        const double old_j = u < prev_j.size() ? prev_j[u] : 0.0;
        cur[u] = from_i * old_i + from_j * old_j;
      }
    }
  }
  return table[small];
}

MannWhitneyResult mann_whitney_u(std::span<const double> a, std::span<const double> b) {
  MannWhitneyResult r;
  r.n1 = a.size();
  r.n2 = b.size();
  if (a.empty() || b.empty()) return r;
  const Ranking ranking = rank(a, b);
  const auto n1 = static_cast<double>(r.n1);
  const auto n2 = static_cast<double>(r.n2);
  const double pairs = n1 * n2;
  r.ties = ranking.ties;
  r.u = ranking.rank_sum_a - n1 * (n1 + 1) / 2;
  // Rounding cannot push an exact half-integer sum outside [0, n1·n2], but
  // say so explicitly.
  r.u = std::clamp(r.u, 0.0, pairs);

  if (!r.ties && r.n1 <= kExactMaxSampleSize && r.n2 <= kExactMaxSampleSize) {
    r.method = UTestMethod::kExact;
    const std::vector<double> pmf = mann_whitney_null_pmf(r.n1, r.n2);
    // Without ties U is an integer; sum the smaller tail from its far end
    // (small terms first).
    const auto u = static_cast<std::size_t>(std::llround(r.u));
    const std::size_t last = pmf.size() - 1;
    double lower = 0;
    double upper = 0;
    for (std::size_t k = 0; k <= u; ++k) lower += pmf[k];
    for (std::size_t k = last + 1; k-- > u;) upper += pmf[k];
    r.p_value = std::min(1.0, 2 * std::min(lower, upper));
    return r;
  }

  r.method = UTestMethod::kAsymptotic;
  const double n = n1 + n2;
  const double variance = pairs / 12 * ((n + 1) - ranking.tie_term / (n * (n - 1)));
  if (!(variance > 0)) {
    // Every value tied: nothing tells the samples apart.
    r.p_value = 1;
    return r;
  }
  const double u_big = std::max(r.u, pairs - r.u);
  r.z = (u_big - pairs / 2 - 0.5) / std::sqrt(variance);
  r.p_value = std::clamp(2 * normal_sf(r.z), 0.0, 1.0);
  return r;
}

}  // namespace netbench::stats
