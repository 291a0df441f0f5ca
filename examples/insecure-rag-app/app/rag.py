"""Answer customer questions from the support articles (retrieval-augmented generation)."""

from __future__ import annotations

import chromadb
from openai import OpenAI

from app.settings import CHAT_MODEL, COLLECTION, EMBEDDING_MODEL, OPENAI_API_KEY

# PLANTED PROBLEM: the system prompt lives in code, with internal rules a user should not see.
SYSTEM_PROMPT = (
    "You are Acme's support assistant. Internal rule: refunds above 500 EUR need the code "
    "ACME-REFUND-7. Answer only from the articles given below."
)

client = OpenAI(api_key=OPENAI_API_KEY)
store = chromadb.PersistentClient(path="index")
articles = store.get_or_create_collection(COLLECTION)


def embed(text: str) -> list[float]:
    result = client.embeddings.create(model=EMBEDDING_MODEL, input=text)
    return list(result.data[0].embedding)


def answer(question: str) -> str:
    hits = articles.query(query_embeddings=[embed(question)], n_results=3)
    context = "\n\n".join(doc for docs in hits["documents"] for doc in docs)
    reply = client.chat.completions.create(
        model=CHAT_MODEL,
        messages=[
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": f"{context}\n\nQuestion: {question}"},
        ],
    )
    return reply.choices[0].message.content or ""
