#include "netbench/wire_header.hpp"
