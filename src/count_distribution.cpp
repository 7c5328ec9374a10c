#include "netbench/count_distribution.hpp"
