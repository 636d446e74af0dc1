# The agent image: built from this repository on Debian 12, run on Debian 12 slim.
# docker build -f deploy/docker/agent.Dockerfile -t sealtap-agent .
FROM debian:bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends make gcc libc6-dev
WORKDIR /src
COPY . .
RUN make deps && make BUILD=/out /out/sealtap-agent

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
        libbpf1 libelf1 zlib1g libssl3 libbrotli1 libnghttp2-14 libhyperscan5 libyaml-0-2 \
        libprotobuf-c1 libcurl4 libmicrohttpd12 libcapstone4 ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/sealtap-agent /usr/local/bin/sealtap-agent
# Runs as root with the capabilities the DaemonSet adds; it drops the rest itself.
ENTRYPOINT ["/usr/local/bin/sealtap-agent"]
CMD ["--config", "/etc/sealtap/agent.yaml"]
