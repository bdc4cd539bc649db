/* pio/sdk.h — everything a plugin author includes: every header of
 * sdk/include/pio (tests/test_sdk_h.py keeps it so). */
#ifndef PIO_SDK_H
#define PIO_SDK_H

#include "pio/attention.h"
#include "pio/chat_template.h"
#include "pio/cpu.h"
#include "pio/decoder.h"
#include "pio/dtype.h"
#include "pio/forward.h"
#include "pio/generation_config.h"
#include "pio/hf_config.h"
#include "pio/instance.h"
#include "pio/json.h"
#include "pio/kernels.h"
#include "pio/kv.h"
#include "pio/memory.h"
#include "pio/mlp.h"
#include "pio/moe.h"
#include "pio/norm.h"
#include "pio/number.h"
#include "pio/plugin.h"
#include "pio/plugin_kit.h"
#include "pio/rope.h"
#include "pio/safetensors.h"
#include "pio/sampling.h"
#include "pio/status.h"
#include "pio/synthetic.h"
#include "pio/threadpool.h"
#include "pio/tokenizer.h"
#include "pio/version.h"
#include "pio/weights.h"

#endif
