#!/bin/sh
# trl.sh: train a LoRA adapter with Hugging Face TRL on the training file
# that ev-tune --cmd gives as $1, and print the adapter's directory on the
# last line of standard output (ev-tune takes it as the tuned model).
#
#   ev-tune --cmd 'sh examples/trainers/trl.sh "$1" tuned-trl' \
#       -m Qwen/Qwen3-8B --to chat train.jsonl                # SFT
#   ev-tune --cmd 'sh examples/trainers/trl.sh "$1" tuned-trl' \
#       -m Qwen/Qwen3-8B --to trl-dpo pairs.jsonl             # DPO
#
# The formats it reads (ev-tune(1), FORMATS): chat ({"messages"}) and
# prompt-completion for SFTTrainer, which applies the model's chat template
# to them; trl-dpo ({prompt, chosen, rejected}, conversational) for
# DPOTrainer. ev-tune sets EV_TRAIN_FORMAT, EV_BASE_MODEL and EV_EPOCHS.
# Needs: python3 with trl, peft, datasets and torch, a GPU, and the base
# model's weights (or access to them on the Hugging Face Hub: pass the
# token with ev-tune --env HF_TOKEN --env 'HF_*').
#
# ev's test suite cannot run this recipe (no GPU, no weights): it runs it
# against a stand-in python3 that checks the file as TRL reads it
# (tests/ev-tune-convert.bats).
#
# Serve the result for ev-call with vLLM, which loads the adapter beside
# its base model, and evaluate it under the name "tuned":
#   vllm serve Qwen/Qwen3-8B --enable-lora --lora-modules tuned=tuned-trl --port 8000
#   ev-call -m tuned --base-url http://127.0.0.1:8000/v1 eval.jsonl > run.jsonl
# or with llama.cpp's server, after converting the adapter to GGUF:
#   python3 convert_lora_to_gguf.py tuned-trl --outfile tuned.gguf
#   llama-server -m qwen3-8b.gguf --lora tuned.gguf --port 8080
#   ev-call -m tuned --base-url http://127.0.0.1:8080/v1 eval.jsonl > run.jsonl
set -eu

file=${1:?usage: trl.sh TRAINING_FILE [OUTPUT_DIR]}
out=${2:-tuned-trl}
model=${EV_BASE_MODEL:-Qwen/Qwen3-8B}
epochs=${EV_EPOCHS:-3}
case ${EV_TRAIN_FORMAT:-chat} in
chat | prompt-completion) method=sft ;;
trl-dpo) method=dpo ;;
*)
    echo "trl.sh: TRL reads chat, prompt-completion or trl-dpo, not '$EV_TRAIN_FORMAT'" >&2
    exit 2
    ;;
esac

# TRL's own output goes to standard error: the last line of standard
# output must be the model.
python3 - "$file" "$out" "$model" "$epochs" "$method" >&2 <<'PY'
import sys
from datasets import load_dataset
from peft import LoraConfig

file, out, model, epochs, method = sys.argv[1:6]
data = load_dataset("json", data_files=file, split="train")
lora = LoraConfig(r=16, lora_alpha=32, lora_dropout=0.05, target_modules="all-linear",
                  task_type="CAUSAL_LM")
if method == "dpo":
    from trl import DPOConfig, DPOTrainer
    args = DPOConfig(output_dir=out, num_train_epochs=int(epochs), beta=0.1)
    trainer = DPOTrainer(model=model, args=args, train_dataset=data, peft_config=lora)
else:
    from trl import SFTConfig, SFTTrainer
    args = SFTConfig(output_dir=out, num_train_epochs=int(epochs))
    trainer = SFTTrainer(model=model, args=args, train_dataset=data, peft_config=lora)
trainer.train()
trainer.save_model(out)
PY
echo "$out"
