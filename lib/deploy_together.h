/*
 * deploy_together.h: serving a Together fine-tune on a dedicated endpoint,
 * through Together's v2 Dedicated Model Inference API (docs.together.ai,
 * "Deploy a fine-tuned model" and "Migrate from v1", July 2026 or later;
 * together-py's beta endpoints), since v1's POST /endpoints now answers 403:
 *
 *   GET   {v1}/whoami                                   the key's project
 *   GET   {v2}/projects/P/configs?referenceModel=...    how the model can be served
 *   GET   {v2}/projects/P/endpoints?filter=name:N       an endpoint made before
 *   POST  {v2}/projects/P/endpoints                     {name}
 *   POST  {v2}/projects/P/endpoints/E/deployments       {name, model, config, autoscaling}
 *   PATCH {v2}/projects/P/endpoints/E                   {trafficSplit}
 *   GET   {v2}/projects/P/endpoints/E/deployments/D     its state
 *   GET   {v2}/public/inference-instance-types/H        priceCentsPerHour
 *
 * where {v2} is the base URL with its /v1 made /v2. The tuned model is the
 * job's model_object_id; the model to ask is the endpoint's full name, at
 * https://api-inference.together.ai/v1 (or the base URL given, for a local
 * server). A model with several configs is not guessed at: the message
 * names them. Stopping scales each deployment to zero, waits until it is
 * stopped, takes it out of the traffic, deletes it, then the endpoint.
 *
 * Ownership: json.h.
 */
#ifndef EV_DEPLOY_TOGETHER_H
#define EV_DEPLOY_TOGETHER_H

#include "deploy.h"

extern const ev_deploy_api ev_deploy_together;

#endif
