from pydantic import BaseModel, Field

from models.call import CallInfo


class IncomingCall(BaseModel):
    """A call announced by a telephony system, an S3 event or an upload, before its recording is stored."""

    provider: str = Field(description="Who announced it: twilio, mango, zadarma, webhook, s3, upload.")
    external_id: str | None = Field(default=None, description="The provider's call id: the key for deduplication.")
    recording_url: str | None = Field(default=None, description="Where to download the recording from.")
    recording_auth: tuple[str, str] | None = Field(
        default=None, description="HTTP basic credentials the provider requires for the download.", repr=False
    )
    recording_form: dict[str, str] | None = Field(
        default=None, description="Form to POST to recording_url instead of a GET (a signed API query).", repr=False
    )
    bucket: str | None = Field(default=None, description="S3 events: the bucket holding the recording.")
    object_key: str | None = Field(default=None, description="S3 events: the recording's key in that bucket.")
    size_bytes: int | None = Field(default=None, ge=0, description="Size the provider announced, if any.")
    info: CallInfo = Field(default_factory=CallInfo)
