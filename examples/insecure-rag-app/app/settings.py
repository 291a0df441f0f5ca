"""Settings of the support assistant."""

# PLANTED PROBLEM: a hard-coded API key. It is FAKE: it has the shape of an OpenAI project
# key so that secret detectors match it, and it was never issued by OpenAI.
OPENAI_API_KEY = "sk-proj-Xq7RvT2mLp9Wd4Kz8Nc3Hb6Yf1Gs5Ja0Ue2Io7Pw"

CHAT_MODEL = "gpt-4o-mini"
EMBEDDING_MODEL = "text-embedding-3-small"
COLLECTION = "support-articles"
