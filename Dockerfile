# syntax=docker/dockerfile:1
# Build stage: a static binary (the embedded store, modernc.org/sqlite, is pure Go: no cgo).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
# -tags nodev: the simulators of `incidentbot dev` (Slack, Twilio, mail) stay out of production.
RUN CGO_ENABLED=0 go build -trimpath -tags nodev \
      -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" \
      -o /out/incidentbot ./cmd/incidentbot \
 && mkdir -p /out/data

# Final stage: no shell, no package manager, non-root.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/incidentbot /usr/local/bin/incidentbot
# The embedded store's data dir (used when MONGODB_URI is unset); mount a volume here.
COPY --from=build --chown=65532:65532 /out/data /var/lib/incidentbot/data
WORKDIR /var/lib/incidentbot
ENV INCIDENTBOT_LISTEN=:8080 \
    INCIDENTBOT_DATA_DIR=/var/lib/incidentbot/data
VOLUME /var/lib/incidentbot/data
EXPOSE 8080
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/incidentbot"]
CMD ["serve"]
