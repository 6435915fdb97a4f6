#!/usr/bin/env bash
# `make demo-spark`: the demo (Fixtures/demo.sh) with the agent's chain of
# transformations run on Spark (--engine spark) instead of the embedded
# SQLite. The server is a throw-away Spark Thrift server of this script
# (HiveThriftServer2 from the pyspark package in build/venv, run by Java 17,
# local[2], NOSASL, on 127.0.0.1 at a port the OS chose, warehouse and
# metastore in a temporary folder), stopped and removed at the end whatever
# happens. Starting Spark takes about a minute.
set -euo pipefail
java=${JAVA_HOME:+$JAVA_HOME/bin/java}
for candidate in "$java" /usr/lib/jvm/java-17-openjdk-amd64/bin/java /usr/lib/jvm/java-17-openjdk-arm64/bin/java /usr/bin/java; do
  if [ -n "$candidate" ] && [ -x "$candidate" ]; then java=$candidate; break; fi
done
if [ -z "$java" ] || [ ! -x "$java" ]; then
  echo "demo-spark: no Java found; run: sudo apt-get install -y openjdk-17-jre-headless" >&2
  exit 1
fi
venv=${ROCKY_VENV:-build/venv}
spark_home=${ROCKY_SPARK_HOME:-$(ls -d "$venv"/lib/python3*/site-packages/pyspark 2>/dev/null | head -n 1)}
if [ -z "$spark_home" ] || ! ls "$spark_home"/jars/spark-hive-thriftserver* > /dev/null 2>&1; then
  echo "demo-spark: no pyspark with the Thrift server in $venv; run: make venv (or $venv/bin/pip install pyspark)" >&2
  exit 1
fi
spark_home=$(cd "$spark_home" && pwd)
root=$(mktemp -d "${TMPDIR:-/tmp}/rocky-demo-spark.XXXXXX")
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
pid=
stop() {
  if [ -n "$pid" ]; then kill "$pid" 2> /dev/null || true; wait "$pid" 2> /dev/null || true; fi
  rm -rf "$root"
}
trap stop EXIT
mkdir -p "$root/tmp"
# The module options Spark's own launcher (spark-submit) gives Java 17: Hive's
# metastore client and Spark's serializers reach into java.base.
opens=(-XX:+IgnoreUnrecognizedVMOptions)
for package in java.lang java.lang.invoke java.lang.reflect java.io java.net java.nio java.util java.util.concurrent \
  java.util.concurrent.atomic jdk.internal.ref sun.nio.ch sun.nio.cs sun.security.action sun.util.calendar; do
  opens+=("--add-opens=java.base/$package=ALL-UNNAMED")
done
opens+=(-Dio.netty.tryReflectionSetAccessible=true)
(cd "$root" && SPARK_HOME="$spark_home" exec "$java" "${opens[@]}" -Xmx1g -XX:+UseSerialGC -Dderby.system.home="$root" -Djava.io.tmpdir="$root/tmp" \
  -cp "$spark_home/jars/*" org.apache.spark.deploy.SparkSubmit --master 'local[2]' --name rocky-demo \
  --class org.apache.spark.sql.hive.thriftserver.HiveThriftServer2 \
  --conf spark.ui.enabled=false --conf spark.sql.warehouse.dir="$root/warehouse" --conf spark.sql.shuffle.partitions=2 \
  --conf spark.driver.host=127.0.0.1 --conf spark.driver.bindAddress=127.0.0.1 --conf spark.local.dir="$root/tmp" \
  --conf "spark.hadoop.javax.jdo.option.ConnectionURL=jdbc:derby:;databaseName=$root/metastore_db;create=true" \
  spark-internal --hiveconf hive.server2.thrift.port="$port" --hiveconf hive.server2.thrift.bind.host=127.0.0.1 \
  --hiveconf hive.server2.authentication=NOSASL --hiveconf hive.server2.transport.mode=binary) > "$root/server.log" 2>&1 &
pid=$!
echo "demo-spark: starting Spark $(basename "$spark_home"/jars/spark-core_*.jar .jar | sed 's/.*-//') on 127.0.0.1:$port"
for _ in $(seq 1 960); do
  if ! kill -0 "$pid" 2> /dev/null; then echo "demo-spark: the Spark Thrift server exited:" >&2; tail -n 40 "$root/server.log" >&2; exit 1; fi
  if (exec 3<> "/dev/tcp/127.0.0.1/$port") 2> /dev/null; then break; fi
  sleep 0.25
done
(exec 3<> "/dev/tcp/127.0.0.1/$port") 2> /dev/null || { echo "demo-spark: Spark did not start within 4 minutes" >&2; tail -n 40 "$root/server.log" >&2; exit 1; }
export ROCKY_DEMO_ENGINE=spark
export ROCKY_DEMO_ENGINE_TOML="[engines.spark]
type = \"spark\"
host = \"127.0.0.1\"
port = $port
database = \"rocky\"
retries = 2"
bash "$(dirname "$0")/demo.sh"
