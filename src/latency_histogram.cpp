#include "netbench/latency_histogram.hpp"
