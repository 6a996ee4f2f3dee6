"""Jobs, their reference images and their stored outputs. The job row is the source of truth;
queue messages only ring the doorbell (see studio.pipeline.tasks)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from studio.pipeline.explain import explain, parked_message, stored_message
# The states are read from here by most of the studio, as before they had their own module.
from studio.pipeline.statuses import IN_FLIGHT_STATUSES, TERMINAL_STATUSES, JobStatus  # noqa: F401
from studio.wan.capabilities import get_model
from studio.wan.errors import pause_reason_for


def reference_path(instance: JobReference, filename: str) -> str:
    # Names are ours, never the uploader's: only the extension of the re-encoded file is kept.
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"references/{instance.job_id}/{instance.position}.{ext}"


def mask_path(instance: JobReference, filename: str) -> str:
    return f"references/{instance.job_id}/{instance.position}-mask.png"


def output_path(instance: OutputImage, filename: str) -> str:
    return f"outputs/{instance.job_id}/{instance.index}.png"


def thumbnail_path(instance: OutputImage, filename: str) -> str:
    return f"thumbnails/{instance.job_id}/{instance.index}.webp"


class BatchQuerySet(models.QuerySet):
    def visible_to(self, user) -> BatchQuerySet:
        """The batches of the user's teams (another team's batch is simply not found: a 404)."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(team__memberships__user=user)


class Batch(models.Model):
    """Many jobs made by one request, admitted against the budget together (studio.pipeline.batches).

    Its jobs point at it (Job.batch); it is finished when the last of them has ended."""

    team = models.ForeignKey("accounts.Team", on_delete=models.PROTECT, related_name="batches")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="batches")
    name = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Set once, by whichever job ended last (a conditional update).
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = BatchQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = gettext_lazy("batch")
        verbose_name_plural = gettext_lazy("batches")

    def __str__(self) -> str:
        return f"Batch {self.pk}" + (f" ({self.name})" if self.name else "")


class JobQuerySet(models.QuerySet):
    def visible_to(self, user, *, trash: bool = False) -> JobQuerySet:
        """The jobs of the user's teams that are not in the trash (`trash=True`: the ones that are).

        Every page and action that names a job starts here, so another team's job is simply not
        found: the same 404 as an unknown id, which tells an outsider nothing.
        """
        if not user.is_authenticated:
            return self.none()
        # One membership per (team, user), so the join never repeats a job.
        return self.filter(team__memberships__user=user, deleted_at__isnull=not trash)

    def in_gallery(self) -> JobQuerySet:
        return self.filter(status=JobStatus.SUCCEEDED, deleted_at__isnull=True)


class Job(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="jobs")
    # Teams arrive with the gallery; until then a job may have none.
    team = models.ForeignKey(
        "accounts.Team", on_delete=models.PROTECT, related_name="jobs", null=True, blank=True
    )
    # The batch that made it, if one did (studio.pipeline.batches).
    batch = models.ForeignKey(Batch, on_delete=models.SET_NULL, null=True, blank=True, related_name="jobs")
    model = models.CharField(max_length=64)
    prompt = models.TextField()
    # Everything of the request except the images: size, n, enable_sequential, thinking_mode,
    # watermark, seed, color_palette ([{"hex", "hundredths"}]) and the other models' options
    # (negative_prompt, function, strength...). Boxes and masks live on the references.
    parameters = models.JSONField(default=dict, blank=True)
    region = models.CharField(max_length=32)
    # Which API key the job is billed to and throttled under (a hash, never the key).
    api_key_id = models.CharField(max_length=16, blank=True, db_index=True)

    status = models.CharField(max_length=20, choices=JobStatus.choices, default=JobStatus.QUEUED, db_index=True)
    task_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    request_id = models.CharField(max_length=64, blank=True)
    provider_status = models.CharField(max_length=16, blank=True)
    error_code = models.CharField(max_length=100, blank=True)
    error_message = models.TextField(blank=True)

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    status_changed_at = models.DateTimeField(auto_now_add=True)
    submitting_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    running_at = models.DateTimeField(null=True, blank=True)
    downloading_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    provider_submit_time = models.DateTimeField(null=True, blank=True)
    provider_end_time = models.DateTimeField(null=True, blank=True)

    # Scheduling: when the job may next be worked on, and until when a worker holds it.
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    lease_until = models.DateTimeField(null=True, blank=True)

    # Bumped by every state change (studio.pipeline.transitions). A worker or sweep names the
    # attempt it examined when it acts, so a reader holding a stale copy cannot undo newer work.
    attempt = models.PositiveIntegerField(default=0)
    submit_attempts = models.PositiveIntegerField(default=0)
    poll_count = models.PositiveIntegerField(default=0)
    download_attempts = models.PositiveIntegerField(default=0)

    # As the provider returned them when the task succeeded; kept so any worker can download.
    result_urls = models.JSONField(default=list, blank=True)
    result_expires_at = models.DateTimeField(null=True, blank=True)
    usage_image_count = models.PositiveIntegerField(null=True, blank=True)
    usage_size = models.CharField(max_length=32, blank=True)
    usage = models.JSONField(default=dict, blank=True)
    images_stored = models.PositiveIntegerField(default=0)
    # The answer in order: [{"text": ...}, {"image": 0, "actual_prompt": ...}, {"failed": code}]
    # (interleaved text of wan2.6-image, the rewritten prompt of wan2.5, failed images).
    output_parts = models.JSONField(default=list, blank=True)

    # Why a person must decide, and what the studio found: {"reason", "candidates": [{task_id,
    # status, created_at}], "window": [start, end]} (studio.pipeline.attention).
    attention = models.JSONField(default=dict, blank=True)

    # The trash: a deleted job is hidden from the gallery until an admin restores or purges it.
    # Stored originals are never removed automatically.
    deleted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = JobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = gettext_lazy("job")
        verbose_name_plural = gettext_lazy("jobs")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            # The gallery pages a team's jobs newest first.
            models.Index(fields=["team", "-created_at", "-id"], name="job_team_newest"),
        ]

    def __str__(self) -> str:
        return f"Job {self.pk} ({self.model}, {self.status})"

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def sequential(self) -> bool:
        return bool(self.parameters.get("enable_sequential"))

    @property
    def requested_n(self) -> int | None:
        n = self.parameters.get("n")
        return n if isinstance(n, int) else None

    def max_images_billed(self) -> int:
        """The most images this job can be billed for (n, max_images, or their defaults)."""
        p = self.parameters
        return get_model(self.model).max_images_billed(
            n=self.requested_n,
            sequential=self.sequential,
            interleave=bool(p.get("enable_interleave")),
            max_images=p.get("max_images"),
        )

    @property
    def partial(self) -> bool:
        """A succeeded task that carried fewer images than asked for (never for image sets)."""
        n = self.requested_n
        return (
            self.status == JobStatus.SUCCEEDED
            and not self.sequential
            and not self.parameters.get("enable_interleave")
            and n is not None
            and self.images_stored < n
        )

    @property
    def can_cancel(self) -> bool:
        # A queued job is canceled locally; a submitted (PENDING) task at the provider.
        return self.status in (JobStatus.QUEUED, JobStatus.SUBMITTED)

    def unit_price(self) -> Decimal | None:
        """The price in force when the job was made: later price changes never re-price it."""
        from studio.accounting.prices import unit_price

        return unit_price(self.model, self.region, at=self.created_at)

    def explanation(self) -> str:
        return explain(status=self.status, error_code=self.error_code)

    @property
    def error_text(self) -> str:
        """error_message for a page: the studio's own sentences in the reader's language (a
        parked job's is worded again from the reason it recorded)."""
        reason = (self.attention or {}).get("reason") if self.error_code == "OutcomeUnknown" else None
        if reason:
            from studio.pipeline.attention import RECHECK_UNKNOWN

            count = len(self.attention.get("candidates") or [])
            minutes = RECHECK_UNKNOWN.seconds // 60
            return parked_message(reason=reason, count=count, model=self.model, minutes=minutes, translate=gettext)
        return stored_message(self.error_message)


class JobReferenceQuerySet(models.QuerySet):
    def visible_to(self, user) -> JobReferenceQuerySet:
        return self.filter(job__in=Job.objects.visible_to(user))


class JobReference(models.Model):
    """One reference image of a job, in prompt order ("image 1" is position 0)."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="references")
    position = models.PositiveSmallIntegerField()
    # The stored, upright image (EXIF orientation applied); boxes refer to its pixels.
    file = models.FileField(upload_to=reference_path, max_length=255)
    mime = models.CharField(max_length=32)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    boxes = models.JSONField(default=list, blank=True)
    # wanx2.1 mask editing: white is edited, black kept; the same pixels as the file.
    mask = models.FileField(upload_to=mask_path, max_length=255, blank=True)
    # The gallery image this reference was taken from ("Use as reference"): the job's images are
    # its next versions (studio.gallery.versions). None: uploaded from disk, which starts a chain.
    source_image = models.ForeignKey(
        "OutputImage", on_delete=models.SET_NULL, null=True, blank=True, related_name="derived_references"
    )

    objects = JobReferenceQuerySet.as_manager()

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["job", "position"], name="unique_reference_position")]


class OutputImageQuerySet(models.QuerySet):
    def visible_to(self, user) -> OutputImageQuerySet:
        """The images in the gallery of the user's teams: of succeeded jobs not in the trash."""
        return self.filter(job__in=Job.objects.visible_to(user).in_gallery())


class OutputImage(models.Model):
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="outputs")
    index = models.PositiveSmallIntegerField()
    file = models.FileField(upload_to=output_path, max_length=255)
    thumbnail = models.FileField(upload_to=thumbnail_path, max_length=255, blank=True)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    byte_size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    source_url = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OutputImageQuerySet.as_manager()

    class Meta:
        ordering = ["job", "index"]
        # One stored file per provider image, however many workers download it.
        constraints = [models.UniqueConstraint(fields=["job", "index"], name="unique_output_index")]


class ProviderTask(models.Model):
    """A task the provider made with the studio's key, as the studio learned of it.

    A submit's answer records the task with the job that sent it; reading the provider's task list
    (studio.pipeline.provider_tasks) adds the ones the studio never heard of and each task's billed
    usage. The reconciliation compares these rows with jobs, stored images and the ledger: a task
    no job follows, or a job with two tasks, is money spent that no image shows.
    """

    task_id = models.CharField(max_length=64, unique=True)
    api_key_id = models.CharField(max_length=16, blank=True, db_index=True)
    model = models.CharField(max_length=64, blank=True)
    # The job whose submit created it, when the studio knows (None: learned only from the list).
    job = models.ForeignKey(Job, on_delete=models.SET_NULL, null=True, blank=True, related_name="provider_tasks")
    status = models.CharField(max_length=16, blank=True)
    created_at = models.DateTimeField(null=True, blank=True, db_index=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # usage.image_count of a finished task: what the provider bills.
    image_count = models.PositiveIntegerField(null=True, blank=True)
    learned_at = models.DateTimeField(auto_now_add=True)
    # When the provider last told us about it (list or single query); None: only from a submit.
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "task_id"]

    def __str__(self) -> str:
        return f"Provider task {self.task_id} ({self.model}, {self.status or 'not read'})"


class ProviderListRead(models.Model):
    """One window of the provider's task list read whole: every task created in [start, end]
    was listed then. The reconciliation shows the parts of a period no read covers."""

    api_key_id = models.CharField(max_length=16, blank=True)
    start = models.DateTimeField()
    end = models.DateTimeField(db_index=True)
    read_at = models.DateTimeField(default=timezone.now)
    listed = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["start"]

    def __str__(self) -> str:
        return f"Task list {self.start:%Y-%m-%d %H:%M} – {self.end:%Y-%m-%d %H:%M}, read {self.read_at:%Y-%m-%d %H:%M}"


class JobEvent(models.Model):
    """Who did what to a job and why, when a person (or the studio on its own) decided its fate:
    adopting a provider task, sending it again, giving it up."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    # None: the studio itself (the recovery sweep).
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    action = models.CharField(max_length=32)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.action} on job {self.job_id}"


class Lease(models.Model):
    """A named lease that one process at a time holds (the recovery sweep is single-flight)."""

    name = models.CharField(max_length=64, unique=True)
    holder = models.CharField(max_length=64, blank=True)
    until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Lease {self.name} ({self.holder or 'free'})"


class ProviderAccount(models.Model):
    """Per API key: whether submissions are paused (bad key, arrears, quota) and why.

    The row is also what concurrent submitters lock, so throttling decisions are serialised.
    """

    api_key_id = models.CharField(max_length=16, unique=True)
    paused_until = models.DateTimeField(null=True, blank=True)
    pause_code = models.CharField(max_length=100, blank=True)
    pause_message = models.TextField(blank=True)
    # The poller holding this lease follows the key's jobs (its queries take slots of the
    # account's budget, studio.pipeline.query_budget, like every other task call).
    follower = models.CharField(max_length=64, blank=True)
    follower_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"API key {self.api_key_id}"

    @classmethod
    def paused(cls, api_key_id: str) -> ProviderAccount | None:
        """The key's account if its submissions are paused right now."""
        return cls.objects.filter(api_key_id=api_key_id, paused_until__gt=timezone.now()).first()

    @property
    def pause_reason(self) -> str:
        """Why submissions wait, in words an operator can act on."""
        # The code table's reasons are marked for translation; the provider's own message is not.
        reason = pause_reason_for(self.pause_code)
        return gettext(reason) if reason else self.pause_message or self.pause_code


class TaskQueryWindow(models.Model):
    """An Alibaba Cloud account's recent calls to the provider's task endpoints, by every process
    and machine: what studio.pipeline.query_budget counts against the account's limit."""

    # WAN_ACCOUNT: the keys configured with one name share one budget.
    account = models.CharField(max_length=64, unique=True)
    # When each call of the last window was let through, in seconds since the epoch (by the
    # database server's clock on PostgreSQL); changed only under the row's lock.
    recent = models.JSONField(default=list, blank=True)
    # Every call ever let through (for the operator and the bench).
    taken = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"Task queries of account {self.account}"

