/* mps_err.c: names and phrases for the shared error vocabulary. */
#include "mps_err.h"

const char *
mps_strerror(int err)
{
	switch (err) {
	case MPS_OK:
		return "success";
#define MPS_ERR_STR(name, val, str) case name: return str;
	MPS_ERRORS(MPS_ERR_STR)
#undef MPS_ERR_STR
	}
	return "unknown error";
}

const char *
mps_errname(int err)
{
	switch (err) {
	case MPS_OK:
		return "MPS_OK";
#define MPS_ERR_NAME(name, val, str) case name: return #name;
	MPS_ERRORS(MPS_ERR_NAME)
#undef MPS_ERR_NAME
	}
	return "MPS_ERR_UNKNOWN";
}
