#include "netbench/interval_meter.hpp"
