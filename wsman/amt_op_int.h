/*
 * amt_op_int.h: the operation object and the step functions shared by
 * amt_op.c (the driver) and amt_{power,boot,identity,time,raw}.c (the
 * steps).  Internal to the wsman library.
 */
#ifndef AMT_OP_INT_H
#define AMT_OP_INT_H

#include <stddef.h>
#include <stdint.h>

#include "amt.h"
#include "wsman.h"

enum amt_op_kind {
	AMT_OP_POWER_STATE,
	AMT_OP_POWER_ACTION,
	AMT_OP_BOOT,
	AMT_OP_IDENTITY,
	AMT_OP_TIME,
	AMT_OP_RAW_GET,
	AMT_OP_RAW_PUT,
	AMT_OP_RAW_ENUMERATE,
	AMT_OP_RAW_INVOKE
};

/* An owned copy of a selector or parameter. */
struct amt_kv {
	char	*name;
	char	*value;
	int	 is_xml;
};

struct amt_op {
	enum amt_op_kind	 kind;
	enum amt_op_state	 state;
	int			 awaiting;	/* request out, no response yet */
	struct wsman_ctx	*ctx;
	char			 msgid[WSMAN_MSGID_LEN];
	char			*req;		/* current request body */
	size_t			 req_len;
	struct amt_result	 res;

	/* power and boot */
	enum amt_power_action	 action;
	enum amt_boot_target	 target;
	int			 reboot;
	char			*boot_put;	/* edited AMT_BootSettingData */

	/* enumeration, shared by identity and raw enumerate */
	char			 enum_uri[WSMAN_MAX_URI + 1];
	char			 enum_ctx[WSMAN_CONTEXT_LEN];
	unsigned		 pulls;
	struct wsman_instances	*enum_list;
	enum amt_op_state	 after_enum;
	int			(*enum_done)(struct amt_op *); /* may be NULL */
	struct wsman_instances	 swid;		/* identity: software ids */

	/* time */
	int			 sync;
	int64_t			(*now)(void *);
	void			*now_arg;

	/* raw */
	char			 uri[WSMAN_MAX_URI + 1];
	char			*method;
	struct amt_kv		*sel;
	size_t			 nsel;
	struct amt_kv		*params;
	size_t			 nparams;
	char			*instance;
};

/* Allocate an operation starting at state first. */
int	amt_op_alloc(struct wsman_ctx *ctx, enum amt_op_kind kind,
	    enum amt_op_state first, struct amt_op **out);

/* Fill in MessageID and To, build req and make it the current request. */
int	amt_op_emit(struct amt_op *op, struct wsman_request *req);

/*
 * Read a method's output and ReturnValue into op->res.rv;
 * MPS_ERR_RETURN_VALUE if it is not 0.  *out may be NULL.
 */
int	amt_op_method(struct amt_op *op, const struct wsman_resp *resp,
	    const char *uri, const char *method, xmlNode **out);

/* Copy n selectors into owned storage. */
int	amt_op_copy_kv(const struct wsman_selector *sel,
	    const struct wsman_param *par, size_t n, struct amt_kv **out);

/*
 * Step functions.  build_* emit the request for the current state;
 * handle_* consume the parsed response and return the next state, or a
 * negative MPS_ERR_*.
 */
int	amt_power_build_get(struct amt_op *op);
int	amt_power_handle_get(struct amt_op *op, const struct wsman_resp *r);
int	amt_power_build_change(struct amt_op *op);
int	amt_power_handle_change(struct amt_op *op, const struct wsman_resp *r);

int	amt_boot_build_get(struct amt_op *op);
int	amt_boot_handle_get(struct amt_op *op, const struct wsman_resp *r);
int	amt_boot_build_clear(struct amt_op *op);
int	amt_boot_handle_clear(struct amt_op *op, const struct wsman_resp *r);
int	amt_boot_build_put(struct amt_op *op);
int	amt_boot_handle_put(struct amt_op *op, const struct wsman_resp *r);
int	amt_boot_build_role(struct amt_op *op);
int	amt_boot_handle_role(struct amt_op *op, const struct wsman_resp *r);
int	amt_boot_build_order(struct amt_op *op);
int	amt_boot_handle_order(struct amt_op *op, const struct wsman_resp *r);

int	amt_raw_build_enumerate(struct amt_op *op);
int	amt_raw_handle_enumerate(struct amt_op *op, const struct wsman_resp *r);
int	amt_raw_build_pull(struct amt_op *op);
int	amt_raw_handle_pull(struct amt_op *op, const struct wsman_resp *r);
int	amt_raw_build_get(struct amt_op *op);
int	amt_raw_handle_get(struct amt_op *op, const struct wsman_resp *r);
int	amt_raw_build_put(struct amt_op *op);
int	amt_raw_handle_put(struct amt_op *op, const struct wsman_resp *r);
int	amt_raw_build_invoke(struct amt_op *op);
int	amt_raw_handle_invoke(struct amt_op *op, const struct wsman_resp *r);

int	amt_identity_build_general(struct amt_op *op);
int	amt_identity_handle_general(struct amt_op *op,
	    const struct wsman_resp *r);
int	amt_identity_build_package(struct amt_op *op);
int	amt_identity_handle_package(struct amt_op *op,
	    const struct wsman_resp *r);
int	amt_identity_build_setup(struct amt_op *op);
int	amt_identity_handle_setup(struct amt_op *op,
	    const struct wsman_resp *r);

int	amt_identity_swid_done(struct amt_op *op);

int	amt_time_build_get(struct amt_op *op);
int	amt_time_handle_get(struct amt_op *op, const struct wsman_resp *r);
int	amt_time_build_set(struct amt_op *op);
int	amt_time_handle_set(struct amt_op *op, const struct wsman_resp *r);

/* Free what each module attached to op (called by amt_op_free()). */
void	amt_raw_release(struct amt_op *op);

#endif /* AMT_OP_INT_H */
