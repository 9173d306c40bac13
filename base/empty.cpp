// empty.cpp - keeps a part linkable while it has no sources of its own.
