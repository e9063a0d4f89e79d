"""How much memory a decoder LLM needs to run or to fine-tune, from its config alone.

Page 04 checks this estimator against what was measured for SmolLM2, then
applies it to a Llama-2-7B-shaped model to test the "QLoRA trains a 7B model
in about 5 GB" claim.  Every term is a plain formula; the assumptions are:

Weights
    Decoder-layer ``nn.Linear`` weights are stored in the chosen format; the
    rest (embeddings, norms, an untied output head) stays in ``other_bytes``
    per parameter, because bitsandbytes leaves them unquantized and
    ``peft.prepare_model_for_kbit_training`` casts them to fp32.
Quantization constants (per quantized tensor, as bitsandbytes stores them)
    int8 (LLM.int8): one fp32 scale per output row.
    4-bit: one fp32 absmax per block of 64 weights, and the 16-entry fp32
    table of levels.  With double quantization each absmax is itself stored
    in 8 bits, plus one fp32 scale per 256 absmax values, a 256-entry fp32
    table of 8-bit levels and one fp32 offset.
Training
    LoRA: ``rank * (in + out)`` fp32 parameters per targeted linear.  Each
    trainable parameter has an fp32 gradient and AdamW keeps two fp32 states
    (8 bytes); 8-bit AdamW keeps two 1-byte states (2 bytes).  Full fine-tuning
    trains every parameter in fp32: 4 + 4 + 8 = 16 bytes each.  torch's AdamW
    also holds a 4-byte temporary per parameter during its step, when the
    activations are already freed: the peak counts the larger of the two.
Activations (what autograd keeps for the backward pass, Llama block, a
fused SDPA attention kernel, LoRA dropout 0), per token and layer:
    ``6*hidden + 2*kv_hidden + 4*intermediate + n_lora*rank + heads + 2``
    values of ``activation_bytes`` each (norm inputs and outputs, query and
    attention output, keys and values, the four MLP tensors, each LoRA's
    rank-sized middle, softmax statistics, two RMS factors).  With gradient
    checkpointing only each layer's input (``hidden``) is kept, and one layer
    is recomputed at a time.  The loss holds ``LOSS_COPIES`` fp32 copies of
    the logits (``vocab`` per token) at the start of backward; a recomputed
    layer is alive only later, so the larger of the two counts.  Under bf16
    autocast an fp32 output head is also kept as a bf16 copy.  The per-layer
    formula was read off SmolLM2 with autograd's saved-tensor hooks
    (``saved_activation_bytes`` below); page 04 checks it against them, and
    the totals against peaks measured on a GPU.
Not modelled
    the CUDA context and allocator slack (outside ``max_memory_allocated``),
    attention kernels that keep the ``heads * seq**2`` probabilities (PyTorch's
    math fallback; ``math_attention_bytes`` sizes what it adds, so that page 04
    can show that this is where the SmolLM2 GPU measurement's error comes
    from), temporary buffers inside kernels, and framework overhead.
"""

from __future__ import annotations

import gc
import math
import sys
import time
from dataclasses import dataclass, replace

from ftlab.recipe import LORA_TARGETS, lora_config

GiB = 2**30
# Logits, their log-softmax kept for backward, and its gradient, all fp32.
LOSS_COPIES = 3
ABSMAX_BLOCK = 64  # bitsandbytes' 4-bit block size (the QLoRA default)
NESTED_BLOCK = 256  # double quantization: absmax values per second-level scale

# Format name -> bytes per stored weight (before quantization constants).
FORMAT_BYTES = {
    "fp32": 4.0, "bf16": 2.0, "fp16": 2.0, "int8": 1.0,
    "nf4": 0.5, "nf4-dq": 0.5, "fp4": 0.5, "fp4-dq": 0.5,
}
OPTIMIZER_BYTES = {"adamw": 8.0, "adamw-8bit": 2.0, "sgd": 0.0}
# torch's AdamW (foreach) holds one fp32 temporary per parameter during its
# step; bitsandbytes' 8-bit AdamW updates in place.
OPTIMIZER_STEP_BYTES = {"adamw": 4.0, "adamw-8bit": 0.0, "sgd": 0.0}


# ------------------------------------------------------------------ model shape


@dataclass(frozen=True)
class Linear:
    name: str  # the module's own name, e.g. "q_proj"
    out_features: int
    in_features: int

    @property
    def params(self) -> int:
        return self.out_features * self.in_features


@dataclass(frozen=True)
class ModelShape:
    """What the estimator needs to know about an architecture."""

    hidden: int
    intermediate: int
    layers: int
    heads: int
    kv_heads: int
    vocab: int
    linears: tuple[Linear, ...]  # every quantizable linear, all layers
    other_params: int  # embeddings, norms, untied head: kept in 16/32 bits

    @property
    def linear_params(self) -> int:
        return sum(linear.params for linear in self.linears)

    @property
    def params(self) -> int:
        return self.linear_params + self.other_params

    @property
    def kv_hidden(self) -> int:
        return self.hidden // self.heads * self.kv_heads


def shape_of(config) -> ModelShape:
    """Count a config's parameters on the meta device: no weights, no download."""
    import torch
    from transformers import AutoModelForCausalLM

    # The meta device gives tensors shapes but no storage.  (accelerate's
    # init_empty_weights would do too, but there transformers 5 leaves tied
    # embeddings untied, counting a tied output head twice.)
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config)
    model.tie_weights()
    # bitsandbytes (through transformers) leaves the output head unquantized.
    head = model.get_output_embeddings()
    linears = tuple(
        Linear(name.rsplit(".", 1)[-1], module.out_features, module.in_features)
        for name, module in model.named_modules()
        if isinstance(module, torch.nn.Linear) and module is not head
    )
    total = sum(p.numel() for p in model.parameters())  # tied weights count once
    linear_params = sum(linear.params for linear in linears)
    return ModelShape(
        hidden=config.hidden_size,
        intermediate=config.intermediate_size,
        layers=config.num_hidden_layers,
        heads=config.num_attention_heads,
        kv_heads=getattr(config, "num_key_value_heads", None) or config.num_attention_heads,
        vocab=config.vocab_size,
        linears=linears,
        other_params=total - linear_params,
    )


# ------------------------------------------------------------------ weights


def check_format(fmt: str) -> str:
    if fmt not in FORMAT_BYTES:
        raise ValueError(f"unknown weight format {fmt!r}; choose from {', '.join(FORMAT_BYTES)}")
    return fmt


def quant_constant_bytes(linear: Linear, fmt: str) -> float:
    """Scales a quantized tensor stores besides its packed weights."""
    if fmt == "int8":
        return 4 * linear.out_features
    blocks = math.ceil(linear.params / ABSMAX_BLOCK)
    if fmt in ("nf4", "fp4"):
        return 4 * blocks + 4 * 16
    if fmt in ("nf4-dq", "fp4-dq"):
        return blocks + 4 * math.ceil(blocks / NESTED_BLOCK) + 4 * 256 + 4 + 4 * 16
    return 0


@dataclass(frozen=True)
class WeightBytes:
    linear: float  # packed linear weights
    constants: float  # their quantization constants
    other: float  # embeddings, norms, untied head

    @property
    def total(self) -> float:
        return self.linear + self.constants + self.other


def weight_bytes(shape: ModelShape, fmt: str, other_bytes: float = 2) -> WeightBytes:
    """Bytes to hold the model's weights in ``fmt`` (other parameters in ``other_bytes``)."""
    check_format(fmt)
    return WeightBytes(
        linear=shape.linear_params * FORMAT_BYTES[fmt],
        constants=sum(quant_constant_bytes(linear, fmt) for linear in shape.linears),
        other=shape.other_params * other_bytes,
    )


# ------------------------------------------------------------------ training


@dataclass(frozen=True)
class Setup:
    """One way to fine-tune: what is trained, in which format, on what batch."""

    method: str = "lora"  # "lora" or "full"
    weights: str = "nf4-dq"  # format of the frozen linear weights (LoRA only)
    other_bytes: float = 4  # prepare_model_for_kbit_training upcasts the rest to fp32
    rank: int = 16
    targets: tuple[str, ...] = LORA_TARGETS
    optimizer: str = "adamw"
    # Hidden states stay fp32 after prepare_model_for_kbit_training (it
    # upcasts embeddings and norms); 2 only for a model kept in bf16.
    activation_bytes: float = 4
    checkpointing: bool = True
    # bf16 autocast with a bf16 4-bit compute dtype, as TrainingArguments(bf16=True)
    # runs on a GPU.  It also keeps a bf16 copy of an fp32 output head for backward.
    bf16_autocast: bool = False
    batch: int = 1
    seq: int = 512

    def __post_init__(self):
        if self.method not in ("lora", "full"):
            raise ValueError(f"Setup.method: {self.method!r} is not 'lora' or 'full'")
        if self.optimizer not in OPTIMIZER_BYTES:
            raise ValueError(f"Setup.optimizer: {self.optimizer!r}; choose from {', '.join(OPTIMIZER_BYTES)}")
        check_format(self.weights)


@dataclass(frozen=True)
class Estimate:
    """Bytes per component of one training step's peak; ``total`` is their sum."""

    weights: float  # frozen weights (linear + the rest)
    quant_constants: float
    trainable: float  # the LoRA (or all) parameters being trained
    gradients: float
    optimizer: float
    activations: float  # kept for backward, plus the loss' logits
    optimizer_step: float  # temporaries of the optimizer's step

    @property
    def total(self) -> float:
        """Activations are freed before the optimizer steps, so only the larger counts."""
        static = self.weights + self.quant_constants + self.trainable + self.gradients + self.optimizer
        return static + max(self.activations, self.optimizer_step)


def lora_params(shape: ModelShape, rank: int, targets: tuple[str, ...]) -> int:
    """LoRA adds A (rank x in) and B (out x rank) to every targeted linear."""
    return sum(rank * (l.in_features + l.out_features) for l in shape.linears if l.name in targets)


def layer_activation_values(shape: ModelShape, n_lora: int, rank: int) -> int:
    """Values one Llama block keeps for backward, per token (see module docstring)."""
    return (
        6 * shape.hidden + 2 * shape.kv_hidden + 4 * shape.intermediate
        + n_lora * rank + shape.heads + 2
    )


def _kept_values(shape: ModelShape, setup: Setup) -> tuple[int, int]:
    """(values kept per token by the forward pass, values of one recomputed layer)."""
    targets = set(setup.targets) & {linear.name for linear in shape.linears}
    n_lora = len(targets) if setup.method == "lora" else 0
    per_layer = layer_activation_values(shape, n_lora, setup.rank)
    if setup.checkpointing:
        # Only each layer's input (and the final norm's) is kept; backward
        # recomputes one layer at a time.
        return (shape.layers + 1) * shape.hidden, per_layer
    return shape.layers * per_layer, 0


def _head_copy(shape: ModelShape, setup: Setup) -> float:
    """Under bf16 autocast, the bf16 copy of an fp32 output head kept for backward."""
    return shape.vocab * shape.hidden * 2 if setup.bf16_autocast and setup.other_bytes == 4 else 0


def saved_activation_estimate(shape: ModelShape, setup: Setup) -> float:
    """What ``saved_activation_bytes`` should measure: kept tensors, one fp32 logits copy."""
    kept, _ = _kept_values(shape, setup)
    tokens = setup.batch * setup.seq
    return tokens * (kept * setup.activation_bytes + shape.vocab * 4) + _head_copy(shape, setup)


def math_attention_bytes(shape: ModelShape, setup: Setup) -> float:
    """What PyTorch's math (unfused) attention keeps for backward beyond a fused kernel.

    Not part of :func:`estimate`.  The math path materialises the attention
    probabilities (``heads * seq**2`` values per sequence and layer) and, for
    grouped-query attention, keys and values repeated from ``kv_heads`` to
    ``heads`` heads; it does not keep the fused kernel's softmax statistics
    (``heads`` values per token).  With gradient checkpointing only the one
    layer being recomputed holds them.  ``tests/test_memory.py`` checks this
    against PyTorch's math kernel on a CPU.
    """
    head_dim = shape.hidden // shape.heads
    per_layer = setup.batch * (
        shape.heads * setup.seq**2
        + 2 * (shape.heads - shape.kv_heads) * head_dim * setup.seq
        - shape.heads * setup.seq
    )
    layers = 1 if setup.checkpointing else shape.layers
    return layers * per_layer * setup.activation_bytes


def activation_bytes(shape: ModelShape, setup: Setup) -> float:
    """Activation memory at the peak of a step.

    The kept activations, plus whichever is larger: the loss' logits (alive
    at the start of backward) or one recomputed layer (alive later, once the
    logits are freed).
    """
    kept, recomputed = _kept_values(shape, setup)
    loss = LOSS_COPIES * shape.vocab * 4
    per_token = kept * setup.activation_bytes + max(loss, recomputed * setup.activation_bytes)
    return setup.batch * setup.seq * per_token + _head_copy(shape, setup)


def estimate(shape: ModelShape, setup: Setup) -> Estimate:
    """Peak memory of one training step, by component."""
    if setup.method == "full":
        trained = shape.params
        frozen = WeightBytes(0, 0, 0)  # every weight is trainable, counted below
    else:
        trained = lora_params(shape, setup.rank, setup.targets)
        frozen = weight_bytes(shape, setup.weights, setup.other_bytes)
    return Estimate(
        weights=frozen.linear + frozen.other,
        quant_constants=frozen.constants,
        trainable=4 * trained,
        gradients=4 * trained,
        optimizer=OPTIMIZER_BYTES[setup.optimizer] * trained,
        activations=activation_bytes(shape, setup),
        optimizer_step=OPTIMIZER_STEP_BYTES[setup.optimizer] * trained,
    )


def largest_seq(shape: ModelShape, setup: Setup, budget_bytes: float, step: int = 64) -> int:
    """The longest sequence (a multiple of ``step``) whose estimate fits the budget; 0 if none."""
    seq = 0
    while estimate(shape, replace(setup, seq=seq + step)).total <= budget_bytes:
        seq += step
        if seq > 1_000_000:
            raise ValueError("budget never binds: check the setup")
    return seq


# ------------------------------------------------------------------ measuring


def stored_weight_bytes(model) -> WeightBytes:
    """What a loaded (possibly quantized) model really stores, by the same parts.

    ``get_memory_footprint()`` counts parameters and buffers; bitsandbytes
    keeps its scales outside them (``weight.quant_state`` for 4-bit,
    ``weight.SCB`` for int8), so they are counted here.  Shared tensors count once.
    """
    import torch

    seen: set[int] = set()

    def size(tensor) -> int:
        if tensor is None or tensor.device.type == "meta":
            return 0
        key = tensor.untyped_storage().data_ptr()
        if key in seen:
            return 0
        seen.add(key)
        return tensor.untyped_storage().nbytes()

    linear = constants = other = 0
    head = model.get_output_embeddings()
    for name, module in model.named_modules():
        if "lora_" in name:  # adapter weights are trainable, not stored weights
            continue
        weight = getattr(module, "weight", None)
        if _is_bnb_linear(module):
            linear += size(weight)
            constants += sum(size(t) for t in _bnb_constants(weight))
        elif isinstance(module, torch.nn.Linear) and module is not head:
            linear += size(weight)
    for name, tensor in list(model.named_parameters()) + list(model.named_buffers()):
        if "lora_" not in name:
            other += size(tensor)  # whatever the loops above did not claim
    return WeightBytes(linear, constants, other)


def _is_bnb_linear(module) -> bool:
    return type(module).__name__ in ("Linear4bit", "Linear8bitLt")


def _bnb_constants(weight) -> list:
    state = getattr(weight, "quant_state", None)
    if state is not None:  # 4-bit: absmax (+ nested absmax, code tables, offset)
        tensors = [state.absmax, state.code, state.offset]
        if state.state2 is not None:
            tensors += [state.state2.absmax, state.state2.code]
        return [t for t in tensors if t is not None]
    scb = getattr(weight, "SCB", None)  # int8: one scale per output row
    return [scb] if scb is not None else []


def saved_activation_bytes(model, input_ids, *, backward: bool = False) -> int:
    """Bytes autograd keeps for backward in one forward pass (weights excluded).

    Counted with ``torch.autograd.graph.saved_tensors_hooks``: every tensor
    saved for the backward pass, each storage once, leaving out storages that
    belong to parameters or buffers.  ``backward=True`` also runs the
    backward pass (the hooks then see nothing more: recomputation is not counted).
    """
    import torch

    owned = {t.untyped_storage().data_ptr() for t in list(model.parameters()) + list(model.buffers())}
    saved: dict[int, int] = {}

    def pack(tensor):
        storage = tensor.untyped_storage()
        if storage.data_ptr() not in owned:
            saved.setdefault(storage.data_ptr(), storage.nbytes())
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        loss = model(input_ids=input_ids, labels=input_ids).loss
    total = sum(saved.values())
    if backward:
        loss.backward()
    return total


# ------------------------------------------------------------------ measuring a training step

# Optimizers by the names TrainingArguments uses; the paged ones need CUDA.
OPTIMIZERS = {
    "adamw": ("torch.optim", "AdamW"),
    "adamw-8bit": ("bitsandbytes.optim", "AdamW8bit"),
    "paged-adamw-8bit": ("bitsandbytes.optim", "PagedAdamW8bit"),
}


def random_model(config, setup: Setup, device: str = "cpu"):
    """A model of ``config``'s shape with random weights, prepared like ``setup``.

    Memory depends on shapes, not on values, so a 7B-shaped model needs no
    download: it is initialised on the device, its decoder linears are
    quantized in place with bitsandbytes (as ``from_pretrained`` with a
    ``BitsAndBytesConfig`` would), and LoRA is added with peft.
    """
    import torch
    from peft import get_peft_model, prepare_model_for_kbit_training
    from transformers import AutoModelForCausalLM

    quantized = setup.method == "lora" and setup.weights not in ("fp32", "bf16", "fp16")
    load_dtype = torch.float32 if setup.weights == "fp32" or setup.method == "full" else torch.bfloat16
    with torch.device(device):
        model = AutoModelForCausalLM.from_config(config, dtype=load_dtype)
    if quantized:
        quantize_linears_(model, setup.weights, torch.bfloat16 if setup.bf16_autocast else torch.float32)
        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=False)
    if setup.checkpointing:
        enable_checkpointing(model)
    if setup.method == "lora":
        model = get_peft_model(model, lora_config(setup.rank, targets=setup.targets))
    model.train()
    return model


def enable_checkpointing(model) -> None:
    """Gradient (activation) checkpointing, non-reentrant, under either transformers 5 name."""
    options = {"use_reentrant": False}
    if hasattr(model, "activation_checkpointing_enable"):  # transformers >= 5.2x
        model.activation_checkpointing_enable(activation_checkpointing_kwargs=options)
    else:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs=options)


def quantize_linears_(model, fmt: str, compute_dtype) -> None:
    """Replace every decoder ``nn.Linear`` by a bitsandbytes 4-bit one, in place."""
    import bitsandbytes as bnb
    import torch

    if fmt not in ("nf4", "nf4-dq", "fp4", "fp4-dq"):
        raise ValueError(f"quantize_linears_: {fmt!r} is not a 4-bit format")
    head = model.get_output_embeddings()
    targets = [
        (name, module) for name, module in model.named_modules()
        if isinstance(module, torch.nn.Linear) and module is not head
    ]
    for name, linear in targets:
        parent = model.get_submodule(name.rsplit(".", 1)[0])
        device = linear.weight.device
        new = bnb.nn.Linear4bit(
            linear.in_features, linear.out_features, bias=linear.bias is not None,
            compute_dtype=compute_dtype, compress_statistics=fmt.endswith("-dq"),
            quant_type=fmt[:3], device="meta",
        )
        new.weight = bnb.nn.Params4bit(
            linear.weight.data, requires_grad=False,
            compress_statistics=fmt.endswith("-dq"), quant_type=fmt[:3], module=new,
        ).to(device)  # moving an unquantized Params4bit quantizes it
        setattr(parent, name.rsplit(".", 1)[1], new)
        del linear
    # What peft and transformers look at to treat the model as 4-bit.
    model.is_loaded_in_4bit = True


def measure_step(config, setup: Setup, *, device: str = "cuda", steps: int = 2, optimizer: str = "adamw",
                 seed: int = 0) -> dict:
    """Train ``steps`` steps on random tokens; peak device memory and saved activations.

    The peak (``torch.cuda.max_memory_allocated``) is only known on CUDA; on a
    CPU ``peak_bytes`` is None.  ``saved_activation_bytes`` is measured on the
    first step with autograd's hooks, everywhere.
    """
    import importlib

    import torch

    if optimizer not in OPTIMIZERS:
        raise ValueError(f"measure_step: optimizer {optimizer!r}; choose from {', '.join(OPTIMIZERS)}")
    torch.manual_seed(seed)
    cuda = device.startswith("cuda")
    gc.collect()  # a previous case's model holds reference cycles (bitsandbytes params <-> modules)
    if cuda:
        torch.cuda.empty_cache()
        baseline = torch.cuda.memory_allocated()  # whatever is still alive is not this case's
    model = random_model(config, setup, device)
    weights = stored_weight_bytes(model).total
    module, name = OPTIMIZERS[optimizer]
    trainable = [p for p in model.parameters() if p.requires_grad]
    opt = getattr(importlib.import_module(module), name)(trainable, lr=1e-4)
    autocast = torch.autocast(device_type=device.split(":")[0], dtype=torch.bfloat16,
                              enabled=setup.bf16_autocast)
    ids = torch.randint(0, config.vocab_size, (setup.batch, setup.seq), device=device)
    if cuda:
        torch.cuda.synchronize()
        before = torch.cuda.memory_allocated() - baseline
        torch.cuda.reset_peak_memory_stats()
    saved = None
    for step in range(steps):
        with autocast:
            if step == 0:
                saved = saved_activation_bytes(model, ids, backward=True)
            else:
                model(input_ids=ids, labels=ids).loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
    result = {
        "weights_bytes": weights,
        "trainable_params": sum(p.numel() for p in trainable),
        "saved_activation_bytes": saved,
        "peak_bytes": None,
        "before_step_bytes": None,
    }
    if cuda:
        torch.cuda.synchronize()
        result["peak_bytes"] = torch.cuda.max_memory_allocated() - baseline
        result["before_step_bytes"] = before
    del model, opt, trainable
    gc.collect()
    if cuda:
        torch.cuda.empty_cache()
    return result


# ------------------------------------------------------------------ the measured cases


# --8<-- [start:llama7b]
def llama2_7b_config():
    """A config with Llama-2-7B's shape (no weights: nothing is downloaded)."""
    from transformers import LlamaConfig

    return LlamaConfig(
        hidden_size=4096, intermediate_size=11008, num_hidden_layers=32,
        num_attention_heads=32, vocab_size=32000,
    )
# --8<-- [end:llama7b]


# --8<-- [start:seven-b-ways]
# The ways of fine-tuning a 7B model page 04 compares, at batch 1 and 512 tokens.
SEVEN_B_WAYS = {
    "full fine-tuning, fp32": Setup(method="full", weights="fp32"),
    "LoRA r=16, bf16 base": Setup(weights="bf16", other_bytes=2, activation_bytes=2),
    "QLoRA r=16, NF4+DQ base": Setup(bf16_autocast=True),
    "  + 8-bit paged AdamW": Setup(bf16_autocast=True, optimizer="adamw-8bit"),
    "  + rest kept in bf16": Setup(bf16_autocast=True, optimizer="adamw-8bit", other_bytes=2),
}
# --8<-- [end:seven-b-ways]


def smollm2_config(path: str | None = None):
    """The site's model's config (from the converted copy, or a config.json path)."""
    from transformers import AutoConfig

    from ftlab.model import converted_dir

    return AutoConfig.from_pretrained(path or converted_dir())


RESULTS_NAME = "04-training-memory"
RESULTS_COMMAND = "python -m ftlab.memory measure --device cuda"  # on a CUDA GPU

# (case, model, setup, optimizer): what the page compares, the
# most important first (a run cut short by a time limit keeps those).
PAGE03 = dict(batch=8, seq=192, checkpointing=False, activation_bytes=4, other_bytes=4)
GPU_QLORA = dict(weights="nf4-dq", checkpointing=True, bf16_autocast=True, batch=1, seq=512)
CASES = (
    ("7b QLoRA b1 s512", "7b", Setup(**GPU_QLORA), "adamw"),
    ("smollm2 LoRA, fp32 base", "smollm2", Setup(weights="fp32", **PAGE03), "adamw"),
    ("smollm2 QLoRA, nf4 base", "smollm2", Setup(weights="nf4", **PAGE03), "adamw"),
    ("7b QLoRA b1 s512 paged 8-bit AdamW", "7b", Setup(**{**GPU_QLORA, "optimizer": "adamw-8bit"}),
     "paged-adamw-8bit"),
    ("7b QLoRA b4 s1024", "7b", Setup(**{**GPU_QLORA, "batch": 4, "seq": 1024}), "adamw"),
    ("7b QLoRA b1 s512 no checkpointing", "7b", Setup(**{**GPU_QLORA, "checkpointing": False}), "adamw"),
    ("7b LoRA bf16 base b1 s512", "7b",
     Setup(weights="bf16", other_bytes=2, activation_bytes=2, checkpointing=True), "adamw"),
    ("7b full fine-tuning fp32 b1 s512", "7b",
     Setup(method="full", weights="fp32", checkpointing=True), "adamw"),
)


def measure_cases(device: str, only: str | None = None, smollm2_path: str | None = None) -> list[dict]:
    """Run each case, saving the results after each (a timeout keeps what is done)."""
    import dataclasses

    import torch

    from ftlab.provenance import save_results

    configs = {"smollm2": smollm2_config(smollm2_path), "7b": llama2_7b_config()}
    rows = []
    for name, model, setup, optimizer in CASES:
        if only and model != only:
            continue
        started = time.perf_counter()
        try:
            measured = measure_step(configs[model], setup, device=device, optimizer=optimizer)
        except torch.OutOfMemoryError as error:
            measured = {"error": f"{type(error).__name__}: {str(error).splitlines()[0]}"}
        estimated = estimate(shape_of(configs[model]), setup)
        rows.append({
            "case": name, "model": model, "setup": dataclasses.asdict(setup),
            "optimizer": optimizer, "measured": measured,
            # The page recomputes the estimate with the current code; this is
            # the one made at measuring time, to see whether it moved.
            "estimate_at_measurement": estimated.total,
            "seconds": round(time.perf_counter() - started, 1),
        })
        print(f"{name}: {measured} ({rows[-1]['seconds']} s)", flush=True)
        save_results(RESULTS_NAME, {"cases": rows}, seed=0, command=RESULTS_COMMAND)
    return rows


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m ftlab.memory", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    measure = commands.add_parser("measure", help=f"measure training peaks into docs/results/{RESULTS_NAME}.json")
    measure.add_argument("--device", default="cuda")
    measure.add_argument("--only", choices=("smollm2", "7b"))
    measure.add_argument("--smollm2-config", help="a config.json folder for SmolLM2 (default: the converted model)")
    args = parser.parse_args(argv)
    measure_cases(args.device, args.only, args.smollm2_config)
    return 0


if __name__ == "__main__":
    sys.exit(main())
