"""Where requests go and what the task endpoints promise: paths, regions, statuses, hosts."""

from __future__ import annotations

# Reference: 002 ("Request body", sync and async) and 004; 003 and 001 for image-synthesis.
MULTIMODAL_SYNC = "/services/aigc/multimodal-generation/generation"
MULTIMODAL_ASYNC = "/services/aigc/image-generation/generation"
IMAGE2IMAGE = "/services/aigc/image2image/image-synthesis"
TEXT2IMAGE = "/services/aigc/text2image/image-synthesis"

# Reference: 002, "Status transitions during polling" and the task_status enumeration; the
# official SDK (dashscope 2.x, dashscope/common/constants.py TaskStatus) adds SUSPENDED, and its
# wait() (dashscope/client/base_api.py) stops only on SUCCEEDED, FAILED, CANCELED and UNKNOWN:
# a suspended task is still alive and is polled again.
TASK_STATUSES = ("PENDING", "RUNNING", "SUSPENDED", "SUCCEEDED", "FAILED", "CANCELED", "UNKNOWN")
TERMINAL_TASK_STATUSES = frozenset({"SUCCEEDED", "FAILED", "CANCELED", "UNKNOWN"})
# Reference: 002 — task ids and result URLs are kept for 24 hours.
RESULT_TTL_SECONDS = 24 * 60 * 60
# Not in the seeds. Reference: "Asynchronous task management API",
# https://www.alibabacloud.com/help/en/model-studio/manage-asynchronous-tasks (Chinese original:
# https://help.aliyun.com/zh/model-studio/developer-reference/manage-asynchronous-tasks) — task
# queries (single task and task list) are limited to 20 a second per Alibaba Cloud account; the
# task list answers at most 24 hours between start_time and end_time (the last 24 hours when
# neither is given) and 10 rows a page by default (no maximum page_size is documented).
TASK_QUERIES_PER_SECOND = 20
TASK_LIST_MAX_SPAN_SECONDS = 24 * 60 * 60
TASK_LIST_DEFAULT_PAGE_SIZE = 10

# Reference: 003, "Network access configuration" — the OSS hosts result images come from.
RESULT_HOSTS = (
    "dashscope-result-bj.oss-cn-beijing.aliyuncs.com",
    "dashscope-result-hz.oss-cn-hangzhou.aliyuncs.com",
    "dashscope-result-sh.oss-cn-shanghai.aliyuncs.com",
    "dashscope-result-wlcb.oss-cn-wulanchabu.aliyuncs.com",
    "dashscope-result-zjk.oss-cn-zhangjiakou.aliyuncs.com",
    "dashscope-result-sz.oss-cn-shenzhen.aliyuncs.com",
    "dashscope-result-hy.oss-cn-heyuan.aliyuncs.com",
    "dashscope-result-cd.oss-cn-chengdu.aliyuncs.com",
    "dashscope-result-gz.oss-cn-guangzhou.aliyuncs.com",
    "dashscope-result-wlcb-acdr-1.oss-cn-wulanchabu-acdr-1.aliyuncs.com",
)

# Reference: 002, "Prerequisites" — separate endpoints (and API keys) per region.
REGION_BASE_URLS = {
    "singapore": "https://dashscope-intl.aliyuncs.com/api/v1",
    "beijing": "https://dashscope.aliyuncs.com/api/v1",
}
