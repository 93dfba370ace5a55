/*
 * deploy_fireworks.h: serving a Fireworks fine-tune (a LoRA) on an
 * on-demand deployment, merged live, as docs.fireworks.ai "Deploying LoRAs"
 * (2026) and the Python SDK 1.2.2 give it; a LoRA is not served
 * serverless:
 *
 *   GET    /v1/accounts/A/deployments/D                 one made before
 *   POST   /v1/accounts/A/deployments?deploymentId=D    {baseModel, displayName,
 *                                                        minReplicaCount, maxReplicaCount}
 *   GET    /v1/accounts/A/deployments/D                 its state, until READY
 *   DELETE /v1/accounts/A/deployments/D                 stop it
 *
 * D is chosen from the tuned model, so that a deployment whose answer was
 * lost is found again. The model to ask is the tuned model itself, at
 * {base}/inference/v1. Fireworks says no price of a deployment: it is
 * billed by the GPU-second, at https://fireworks.ai/pricing.
 *
 * Ownership: json.h.
 */
#ifndef EV_DEPLOY_FIREWORKS_H
#define EV_DEPLOY_FIREWORKS_H

#include "deploy.h"

extern const ev_deploy_api ev_deploy_fireworks;

#endif
