# The collector image. docker build -f deploy/docker/collector.Dockerfile -t sealtap-collector .
FROM debian:bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends make gcc libc6-dev
WORKDIR /src
COPY . .
RUN make deps && make BUILD=/out /out/sealtap-collector

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
        libmicrohttpd12 libgnutls30 libsqlite3-0 libpq5 libcurl4 libyaml-0-2 libprotobuf-c1 libssl3 \
        ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home /var/lib/sealtap-collector sealtap-collector
COPY --from=build /out/sealtap-collector /usr/local/bin/sealtap-collector
USER 10001
EXPOSE 8443
ENTRYPOINT ["/usr/local/bin/sealtap-collector"]
CMD ["serve", "--help"]
