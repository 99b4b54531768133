# hookbridge (cmd/hookbridge), a static binary FROM scratch.
# The config is the repository's hookbridge.yaml with its listeners on 0.0.0.0
# and the embedded store in /data; mount or copy another file over
# /etc/hookbridge/hookbridge.yaml, or set HOOKBRIDGE_NATS_URL.
FROM scratch
COPY hookbridge /hookbridge
COPY hookbridge.yaml /etc/hookbridge/hookbridge.yaml
ENV HOOKBRIDGE_CONFIG=/etc/hookbridge/hookbridge.yaml
EXPOSE 8080 9090 4222
ENTRYPOINT ["/hookbridge"]
CMD ["serve"]
