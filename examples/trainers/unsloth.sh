#!/bin/sh
# unsloth.sh: train a LoRA adapter with Unsloth (TRL's trainers, faster and
# in less memory, on a 4-bit base) on the training file that ev-tune --cmd
# gives as $1, and print the adapter's directory on the last line of
# standard output (ev-tune takes it as the tuned model).
#
#   ev-tune --cmd 'sh examples/trainers/unsloth.sh "$1" tuned-unsloth' \
#       -m unsloth/Qwen3-8B-unsloth-bnb-4bit --to chat train.jsonl        # SFT
#   ev-tune --cmd 'sh examples/trainers/unsloth.sh "$1" tuned-unsloth' \
#       -m unsloth/Qwen3-8B-unsloth-bnb-4bit --to trl-dpo pairs.jsonl     # DPO
#
# Unsloth trains with TRL's SFTTrainer and DPOTrainer, so it reads TRL's
# formats: chat ({"messages"}, with the model's chat template applied) for
# SFT, trl-dpo for DPO. ev-tune sets EV_TRAIN_FORMAT, EV_BASE_MODEL and
# EV_EPOCHS. Needs: python3 with unsloth and trl, an NVIDIA GPU, and the
# base model's weights (pass a Hub token with ev-tune --env 'HF_*').
#
# ev's test suite cannot run this recipe (no GPU, no weights): it runs it
# against a stand-in python3 that checks the file as TRL reads it
# (tests/ev-tune-convert.bats).
#
# Serve the result for ev-call with vLLM:
#   vllm serve Qwen/Qwen3-8B --enable-lora --lora-modules tuned=tuned-unsloth --port 8000
#   ev-call -m tuned --base-url http://127.0.0.1:8000/v1 eval.jsonl > run.jsonl
# or with llama.cpp's server: Unsloth writes a GGUF itself with
# model.save_pretrained_gguf("tuned-gguf", tokenizer), then
#   llama-server -m tuned-gguf/unsloth.Q8_0.gguf --alias tuned --port 8080
#   ev-call -m tuned --base-url http://127.0.0.1:8080/v1 eval.jsonl > run.jsonl
set -eu

file=${1:?usage: unsloth.sh TRAINING_FILE [OUTPUT_DIR]}
out=${2:-tuned-unsloth}
model=${EV_BASE_MODEL:-unsloth/Qwen3-8B-unsloth-bnb-4bit}
epochs=${EV_EPOCHS:-3}
case ${EV_TRAIN_FORMAT:-chat} in
chat) method=sft ;;
trl-dpo) method=dpo ;;
*)
    echo "unsloth.sh: this recipe reads chat or trl-dpo, not '$EV_TRAIN_FORMAT'" >&2
    exit 2
    ;;
esac

python3 - "$file" "$out" "$model" "$epochs" "$method" >&2 <<'PY'
import sys
from unsloth import FastLanguageModel
from datasets import load_dataset

file, out, model_name, epochs, method = sys.argv[1:6]
model, tokenizer = FastLanguageModel.from_pretrained(model_name, max_seq_length=4096,
                                                     load_in_4bit=True)
model = FastLanguageModel.get_peft_model(
    model, r=16, lora_alpha=16,
    target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
data = load_dataset("json", data_files=file, split="train")
if method == "dpo":
    from unsloth import PatchDPOTrainer
    PatchDPOTrainer()
    from trl import DPOConfig, DPOTrainer
    trainer = DPOTrainer(model=model, ref_model=None, processing_class=tokenizer,
                         train_dataset=data,
                         args=DPOConfig(output_dir=out, num_train_epochs=int(epochs), beta=0.1))
else:
    from trl import SFTConfig, SFTTrainer
    trainer = SFTTrainer(model=model, processing_class=tokenizer, train_dataset=data,
                         args=SFTConfig(output_dir=out, num_train_epochs=int(epochs)))
trainer.train()
model.save_pretrained(out)
tokenizer.save_pretrained(out)
PY
echo "$out"
