#include "netbench/sequence_tracker.hpp"
