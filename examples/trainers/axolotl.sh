#!/bin/sh
# axolotl.sh: train a LoRA adapter with Axolotl on the training file that
# ev-tune --cmd gives as $1, and print the adapter's directory on the last
# line of standard output (ev-tune takes it as the tuned model).
#
#   ev-tune --cmd 'sh examples/trainers/axolotl.sh "$1" tuned-axolotl' \
#       -m Qwen/Qwen3-8B --to chat train.jsonl               # SFT
#   ev-tune --cmd 'sh examples/trainers/axolotl.sh "$1" tuned-axolotl' \
#       -m Qwen/Qwen3-8B --to axolotl-dpo pairs.jsonl        # DPO
#
# It writes an Axolotl config beside the adapter, OUTPUT_DIR/axolotl.yml,
# whose dataset reads the file as ev-tune(1) wrote it: chat as
# "type: chat_template" (the model's own template, field_messages:
# messages), alpaca as "type: alpaca", and axolotl-dpo as "rl: dpo" with
# "type: chat_template.default" (messages, chosen and rejected). ev-tune
# sets EV_TRAIN_FORMAT, EV_BASE_MODEL and EV_EPOCHS. Needs: the axolotl
# command (pip install axolotl), a GPU, and the base model's weights (pass
# a Hub token with ev-tune --env 'HF_*').
#
# ev's test suite cannot run this recipe (no GPU, no weights): it runs it
# against a stand-in axolotl that checks the file as its config says to
# read it (tests/ev-tune-convert.bats).
#
# Serve the result for ev-call with vLLM:
#   vllm serve Qwen/Qwen3-8B --enable-lora --lora-modules tuned=tuned-axolotl --port 8000
#   ev-call -m tuned --base-url http://127.0.0.1:8000/v1 eval.jsonl > run.jsonl
# or with llama.cpp's server, after converting the adapter to GGUF:
#   python3 convert_lora_to_gguf.py tuned-axolotl --outfile tuned.gguf
#   llama-server -m qwen3-8b.gguf --lora tuned.gguf --port 8080
#   ev-call -m tuned --base-url http://127.0.0.1:8080/v1 eval.jsonl > run.jsonl
set -eu

file=${1:?usage: axolotl.sh TRAINING_FILE [OUTPUT_DIR]}
out=${2:-tuned-axolotl}
model=${EV_BASE_MODEL:-Qwen/Qwen3-8B}
epochs=${EV_EPOCHS:-3}
case ${EV_TRAIN_FORMAT:-chat} in
chat) rl='' dataset="type: chat_template
    field_messages: messages" ;;
alpaca) rl='' dataset="type: alpaca" ;;
axolotl-dpo) rl="rl: dpo" dataset="type: chat_template.default
    field_messages: messages
    field_chosen: chosen
    field_rejected: rejected" ;;
*)
    echo "axolotl.sh: this recipe reads chat, alpaca or axolotl-dpo, not '$EV_TRAIN_FORMAT'" >&2
    exit 2
    ;;
esac

mkdir -p "$out"
cat >"$out/axolotl.yml" <<YML
base_model: $model
chat_template: tokenizer_default
$rl
datasets:
  - path: $file
    ds_type: json
    split: train
    $dataset
adapter: lora
lora_r: 16
lora_alpha: 32
lora_dropout: 0.05
lora_target_linear: true
sequence_len: 4096
num_epochs: $epochs
micro_batch_size: 1
gradient_accumulation_steps: 8
learning_rate: 0.0002
optimizer: adamw_torch
lr_scheduler: cosine
bf16: auto
output_dir: $out
YML
# Axolotl's own output goes to standard error: the last line of standard
# output must be the model.
axolotl train "$out/axolotl.yml" >&2
echo "$out"
