#include "netbench/jitter_estimator.hpp"
