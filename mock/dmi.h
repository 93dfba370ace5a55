/*
 * dmi.h: Together AI's Dedicated Model Inference (the v2 API,
 * https://api.together.ai/v2), by which a fine-tuned model is served, a
 * SIMULATION in ev-mock: nothing runs, and a deployment that is ready
 * answers chat requests through the learner (learner.h) as the model its
 * job made (together.h). The shapes follow Together's SDK and
 * documentation as ev-mock(1) dates them; what those leave open is said
 * there.
 *
 * Ownership: json.h.
 *
 * Thread-safe: the store holds a lock of its own (and takes the job
 * store's after it), and hands out no jv it keeps.
 *
 * One project, "proj_ev-mock" of slug "ev-mock", is the key's: GET
 * /v1/whoami says so, and any other project is 404. GET
 * /v2/projects/{p}/configs?referenceModel=projects/{p}/models/{ml} gives
 * the one config ("cr_...", 1 H100) of a model a job completed, and none
 * for any other. POST /v2/projects/{p}/endpoints makes an endpoint of a
 * name the client chooses, "ev-mock/NAME" to inference; POST
 * .../endpoints/{ep}/deployments puts a model on it with a config, which
 * comes up DEPLOYMENT_STATE_PROVISIONING -> _SCALING -> _READY over
 * 'deploy_ms' (one step a GET by poll; ten times as long, mostly
 * _DEGRADED, when the slow-deploy fault picks it). A ready deployment
 * serves once PATCH .../endpoints/{ep} gives it a weight in the
 * endpoint's trafficSplit. PATCH .../deployments/{dep} with autoscaling
 * minReplicas 0 and maxReplicas 0 stops it (_STOPPING, then _STOPPED a
 * tenth of 'deploy_ms' later or at the next GET); a stopped deployment
 * with no weight may be deleted, and an endpoint with no deployment left.
 * GET /v2/public/inference-instance-types gives the price of each
 * instance type an hour, in priceCentsPerHour. POST /v1/endpoints, the
 * old way, is refused with 403 endpoints_v1_create_access_disabled, as
 * Together now refuses it.
 */
#ifndef EVM_DMI_H
#define EVM_DMI_H

#include <stdint.h>

#include <jv.h>

#include "answer.h"
#include "jobs.h"
#include "model.h"
#include "together.h"
#include "wire.h"

typedef struct evm_dmi evm_dmi;

/* evm_dmi_new returns an empty store serving the models of 'jobs'
 * (borrowed; it must outlive the store); of 'c' it reads seed, deploy_ms,
 * by_poll, faults (lost-id and slow-deploy) and learner. */
evm_dmi *evm_dmi_new(const evm_jobs_config *c, evm_together *jobs);

/* evm_dmi_serve answers a request to GET /v1/whoami, POST /v1/endpoints or
 * a path under /v2 ('h' below the provider's root); any other path or
 * method gets 404. Errors have Together's body, {"error": {message, type,
 * param, code}}. */
evm_wire_reply evm_dmi_serve(evm_dmi *d, const evm_wire_http *h);

/* evm_dmi_resolve says what the model name 'model' is on Together's
 * inference endpoint at 'now', as evm_jobs_resolve does (answer.h's
 * resolve, with the store 'd'): an endpoint's "ev-mock/NAME" whose traffic
 * goes to a ready deployment is the model it serves, tuned from the
 * learner's base or plain; any other name of the project ("ev-mock/..."),
 * such as an endpoint with no ready deployment in its traffic or the
 * output name of a job (which Together serves only deployed), is unknown;
 * the learner's base is the base; any other name is plain. */
enum evm_jobs_kind evm_dmi_resolve(void *d, const char *model, int64_t now, evm_model_as *as);

/* evm_dmi_names returns the model names of Together's inference endpoint:
 * evm_dmi_resolve's, with 'd'; a name it does not serve gets 404 with
 * code model_not_available. */
evm_answer_names evm_dmi_names(evm_dmi *d);

/* evm_dmi_stats returns {endpoints, deployments, by_state}. */
jv evm_dmi_stats(evm_dmi *d, int64_t now);

void evm_dmi_free(evm_dmi *d);

#endif
