/*
 * kafka_mock.c
 *    A Kafka peer on loopback for development and tests: librdkafka's mock cluster, which speaks the
 *    Kafka protocol (produce, fetch, consumer groups, idempotent producers). It pre-creates the
 *    topics it is given (none: every topic is created on first use, as on a cluster with automatic
 *    topic creation), prints the bootstrap servers (and writes them to a file), and runs until
 *    SIGINT or SIGTERM, or until --max-seconds have passed, so a test can never leave it behind.
 *
 *    --topic-error NAME:ERROR makes the cluster answer every metadata request for topic NAME with
 *    the Kafka error ERROR (a name such as TOPIC_AUTHORIZATION_FAILED or UNKNOWN_TOPIC_OR_PART, or
 *    its number): a topic that refuses writes, or does not exist and cannot be created. SIGUSR1
 *    clears those errors, so a test can show what happens once the topic can be written.
 *
 *    kafka-mock [--brokers N] [--topic NAME:PARTITIONS]... [--topic-error NAME:ERROR]...
 *               [--bootstrap-file PATH] [--max-seconds S]
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

static volatile sig_atomic_t stop_requested = 0;
static volatile sig_atomic_t clear_requested = 0;

static void RequestStop(int signal_number);
static void RequestClear(int signal_number);
static int ParseTopicError(const char *spec, char *name, size_t name_size, rd_kafka_resp_err_t *err);
static void Usage(const char *program);
static int CreateTopic(rd_kafka_mock_cluster_t *cluster, const char *spec);
static int WriteBootstrapFile(const char *path, const char *bootstraps);

/* RequestStop is the SIGINT/SIGTERM handler. */
static void
RequestStop(int signal_number)
{
	(void) signal_number;
	stop_requested = 1;
}

/* RequestClear is the SIGUSR1 handler: topic errors are cleared by the main loop. */
static void
RequestClear(int signal_number)
{
	(void) signal_number;
	clear_requested = 1;
}

/* ParseTopicError reads NAME:ERROR, ERROR being a Kafka error name or number; 0 on success. */
static int
ParseTopicError(const char *spec, char *name, size_t name_size, rd_kafka_resp_err_t *err)
{
	const char *colon = strrchr(spec, ':');
	const struct rd_kafka_err_desc *descriptions;
	size_t		count;
	size_t		i;
	char	   *end;
	long		number;

	if (colon == NULL || colon == spec || (size_t) (colon - spec) >= name_size || colon[1] == '\0')
		return -1;
	memcpy(name, spec, (size_t) (colon - spec));
	name[colon - spec] = '\0';
	number = strtol(colon + 1, &end, 10);
	if (*end == '\0')
	{
		*err = (rd_kafka_resp_err_t) number;
		return 0;
	}
	rd_kafka_get_err_descs(&descriptions, &count);
	for (i = 0; i < count; i++)
		if (descriptions[i].name != NULL && strcmp(descriptions[i].name, colon + 1) == 0)
		{
			*err = descriptions[i].code;
			return 0;
		}
	return -1;
}

/* Usage prints how to call the tool and exits with status 2. */
static void
Usage(const char *program)
{
	fprintf(stderr,
			"usage: %s [--brokers N] [--topic NAME:PARTITIONS]... [--topic-error NAME:ERROR]...\n"
			"       [--bootstrap-file PATH] [--max-seconds S]\n",
			program);
	exit(2);
}

/* CreateTopic creates one NAME:PARTITIONS topic on the mock cluster; 0 on success. */
static int
CreateTopic(rd_kafka_mock_cluster_t *cluster, const char *spec)
{
	char		name[256];
	const char *colon = strrchr(spec, ':');
	int			partitions = colon ? atoi(colon + 1) : 0;
	size_t		length = colon ? (size_t) (colon - spec) : 0;
	rd_kafka_resp_err_t err;

	if (colon == NULL || partitions < 1 || length == 0 || length >= sizeof(name))
	{
		fprintf(stderr, "kafka-mock: --topic wants NAME:PARTITIONS, not \"%s\"\n", spec);
		return -1;
	}
	memcpy(name, spec, length);
	name[length] = '\0';
	err = rd_kafka_mock_topic_create(cluster, name, partitions, 1);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
	{
		fprintf(stderr, "kafka-mock: cannot create topic %s: %s\n", name, rd_kafka_err2str(err));
		return -1;
	}
	return 0;
}

/* WriteBootstrapFile writes the bootstrap servers atomically (temp file, then rename). */
static int
WriteBootstrapFile(const char *path, const char *bootstraps)
{
	char		temporary[4096];
	FILE	   *file;

	snprintf(temporary, sizeof(temporary), "%s.tmp", path);
	file = fopen(temporary, "w");
	if (file == NULL || fprintf(file, "%s\n", bootstraps) < 0 || fclose(file) != 0)
	{
		perror("kafka-mock: bootstrap file");
		return -1;
	}
	return rename(temporary, path);
}

int
main(int argc, char **argv)
{
	int			brokers = 1;
	long		max_seconds = 3600;
	const char *bootstrap_file = NULL;
	char		errstr[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_t *host;
	rd_kafka_mock_cluster_t *cluster;
	time_t		deadline;
	const char **topics = calloc((size_t) argc, sizeof(char *));
	const char **topic_errors = calloc((size_t) argc, sizeof(char *));
	int			ntopics = 0;
	int			nerrors = 0;
	int			i;

	if (rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK)
	{
		fprintf(stderr, "kafka-mock: %s\n", errstr);
		return 1;
	}
	host = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (host == NULL)
	{
		fprintf(stderr, "kafka-mock: %s\n", errstr);
		return 1;
	}

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--brokers") == 0 && i + 1 < argc)
			brokers = atoi(argv[++i]);
		else if (strcmp(argv[i], "--max-seconds") == 0 && i + 1 < argc)
			max_seconds = atol(argv[++i]);
		else if (strcmp(argv[i], "--bootstrap-file") == 0 && i + 1 < argc)
			bootstrap_file = argv[++i];
		else if (strcmp(argv[i], "--topic") == 0 && i + 1 < argc)
			topics[ntopics++] = argv[++i];
		else if (strcmp(argv[i], "--topic-error") == 0 && i + 1 < argc)
			topic_errors[nerrors++] = argv[++i];
		else
			Usage(argv[0]);
	if (brokers < 1 || max_seconds < 1)
		Usage(argv[0]);

	cluster = rd_kafka_mock_cluster_new(host, brokers);
	if (cluster == NULL)
	{
		fprintf(stderr, "kafka-mock: cannot start the mock cluster\n");
		return 1;
	}
	for (i = 0; i < ntopics; i++)
		if (CreateTopic(cluster, topics[i]) != 0)
			return 1;
	for (i = 0; i < nerrors; i++)
	{
		char		name[256];
		rd_kafka_resp_err_t err;

		if (ParseTopicError(topic_errors[i], name, sizeof(name), &err) != 0)
		{
			fprintf(stderr, "kafka-mock: --topic-error wants NAME:ERROR, not \"%s\"\n", topic_errors[i]);
			return 2;
		}
		rd_kafka_mock_topic_set_error(cluster, name, err);
	}

	if (bootstrap_file != NULL && WriteBootstrapFile(bootstrap_file, rd_kafka_mock_cluster_bootstraps(cluster)) != 0)
		return 1;
	printf("bootstrap.servers=%s\n", rd_kafka_mock_cluster_bootstraps(cluster));
	fflush(stdout);

	signal(SIGINT, RequestStop);
	signal(SIGTERM, RequestStop);
	signal(SIGUSR1, RequestClear);
	deadline = time(NULL) + max_seconds;
	while (!stop_requested && time(NULL) < deadline)
	{
		if (clear_requested)
		{
			clear_requested = 0;
			for (i = 0; i < nerrors; i++)
			{
				char		name[256];
				rd_kafka_resp_err_t err;

				if (ParseTopicError(topic_errors[i], name, sizeof(name), &err) == 0)
					rd_kafka_mock_topic_set_error(cluster, name, RD_KAFKA_RESP_ERR_NO_ERROR);
			}
			printf("topic errors cleared\n");
			fflush(stdout);
		}
		usleep(100 * 1000);
	}

	rd_kafka_mock_cluster_destroy(cluster);
	rd_kafka_destroy(host);
	return 0;
}
