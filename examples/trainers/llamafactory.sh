#!/bin/sh
# llamafactory.sh: train a LoRA adapter with LLaMA-Factory on the training
# file that ev-tune --cmd gives as $1, and print the adapter's directory on
# the last line of standard output (ev-tune takes it as the tuned model).
#
#   ev-tune --cmd 'sh examples/trainers/llamafactory.sh "$1" tuned-lf' \
#       -m Qwen/Qwen3-8B --to sharegpt train.jsonl           # SFT
#   ev-tune --cmd 'sh examples/trainers/llamafactory.sh "$1" tuned-lf' \
#       -m Qwen/Qwen3-8B --to sharegpt-dpo pairs.jsonl       # DPO
#
# LLaMA-Factory reads a dataset registered in dataset_info.json: the recipe
# copies the file to OUTPUT_DIR/data/ev.jsonl, writes its entry there with
# ev-tune --dataset-info (so ev-tune must be on PATH), and trains with
# OUTPUT_DIR/llamafactory.yaml (stage sft, or dpo for alpaca-dpo and
# sharegpt-dpo). It reads chat, alpaca, sharegpt, alpaca-dpo and
# sharegpt-dpo. The third argument is LLaMA-Factory's chat template for the
# base model (default qwen3_nothink; llama3 for Llama 3). ev-tune sets
# EV_TRAIN_FORMAT, EV_BASE_MODEL and EV_EPOCHS. Needs: llamafactory-cli
# (pip install llamafactory), a GPU, and the base model's weights (pass a
# Hub token with ev-tune --env 'HF_*').
#
# ev's test suite cannot run this recipe (no GPU, no weights): it runs it
# against a stand-in llamafactory-cli that reads the file as the dataset
# entry says (tests/ev-tune-convert.bats).
#
# Serve the result for ev-call with LLaMA-Factory's own OpenAI-style API:
#   API_PORT=8000 llamafactory-cli api --model_name_or_path Qwen/Qwen3-8B \
#       --adapter_name_or_path tuned-lf --template qwen3_nothink --infer_backend vllm
#   ev-call -m tuned --base-url http://127.0.0.1:8000/v1 eval.jsonl > run.jsonl
# or with vLLM, which loads the adapter beside its base model:
#   vllm serve Qwen/Qwen3-8B --enable-lora --lora-modules tuned=tuned-lf --port 8000
# or with llama.cpp's server, after converting the adapter to GGUF:
#   python3 convert_lora_to_gguf.py tuned-lf --outfile tuned.gguf
#   llama-server -m qwen3-8b.gguf --lora tuned.gguf --port 8080
set -eu

file=${1:?usage: llamafactory.sh TRAINING_FILE [OUTPUT_DIR [TEMPLATE]]}
out=${2:-tuned-lf}
template=${3:-qwen3_nothink}
model=${EV_BASE_MODEL:-Qwen/Qwen3-8B}
epochs=${EV_EPOCHS:-3}
format=${EV_TRAIN_FORMAT:-chat}
case $format in
chat | alpaca | sharegpt) stage=sft extra='' ;;
alpaca-dpo | sharegpt-dpo) stage=dpo extra="pref_beta: 0.1
pref_loss: sigmoid" ;;
*)
    echo "llamafactory.sh: LLaMA-Factory reads chat, alpaca, sharegpt, alpaca-dpo or sharegpt-dpo, not '$format'" >&2
    exit 2
    ;;
esac

mkdir -p "$out/data"
cp "$file" "$out/data/ev.jsonl"
ev-tune --dataset-info ev --to "$format" >"$out/data/dataset_info.json"
cat >"$out/llamafactory.yaml" <<YML
model_name_or_path: $model
stage: $stage
do_train: true
finetuning_type: lora
lora_rank: 16
lora_target: all
$extra
dataset: ev
dataset_dir: $out/data
template: $template
cutoff_len: 4096
output_dir: $out
num_train_epochs: $epochs
per_device_train_batch_size: 1
gradient_accumulation_steps: 8
learning_rate: 1.0e-4
lr_scheduler_type: cosine
bf16: true
YML
# LLaMA-Factory's own output goes to standard error: the last line of
# standard output must be the model.
llamafactory-cli train "$out/llamafactory.yaml" >&2
echo "$out"
