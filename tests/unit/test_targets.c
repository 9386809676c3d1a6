// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Role patterns and target selection (user/targets.c). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "config.h"
#include "targets.h"

struct proc_case {
	const char *comm;
	const char *cmdline;
	enum vigil_role role;
};

/* Processes named in docs/shared context, and look-alikes that must stay out. */
static const struct proc_case cases[] = {
	/* asr */
	{"python3", "python3 -m funasr.bin.asr_server", ROLE_ASR},
	{"python3", "python3 sensevoice_server.py --port 10095", ROLE_ASR},
	{"python3", "/usr/bin/python3 /opt/SenseVoice/api.py", ROLE_ASR},
	{"rq", "rq worker asr-queue", ROLE_ASR},
	{"rq", "/usr/bin/python3 /usr/local/bin/rq worker default", ROLE_ASR},
	{"python3", "python3 -m rq.cli worker high", ROLE_ASR},
	{"uvicorn", "uvicorn asr_api:app --host 0.0.0.0", ROLE_ASR},
	{"python3", "/opt/venv/bin/python3.11 -m uvicorn asr_api:app", ROLE_ASR},
	{"asr_go_backend", "./asr_go_backend", ROLE_ASR},
	{"asr_go_backend", "", ROLE_ASR}, /* zombie: no cmdline, comm alone */
	{"asr-server", "/usr/local/bin/asr-server -c /etc/asr.yaml", ROLE_ASR},
	{"python3", "python3 ASR_worker.py", ROLE_ASR}, /* case-insensitive */
	{"python3", "python3 /srv/asr/main.py", ROLE_ASR},
	{"python3", "python3 asr", ROLE_ASR},
	{"python3", "python3 asr2_server.py", ROLE_ASR},
	{"conda", "conda run python asr.py", ROLE_OTHER}, /* its child is asr */
	{"dotnet", "dotnet Asr.dll", ROLE_OTHER},
	/* avatar */
	{"python3", "/usr/bin/python3 /opt/dh_live/app.py", ROLE_AVATAR},
	{"python3", "python3 -m dh-live.server --fps 25", ROLE_AVATAR},
	{"python3", "python3 digital_human_render.py", ROLE_AVATAR},
	{"python3", "python3 serve.py --model avatar_v2", ROLE_AVATAR},
	{"dhlive", "./dhlive", ROLE_AVATAR},
	/* camera */
	{"dual_camera_web", "./dual_camera_websocket_server", ROLE_CAMERA},
	{"gst-launch-1.0", "gst-launch-1.0 v4l2src ! videoconvert ! fakesink", ROLE_CAMERA},
	{"rkmpp_enc", "/usr/bin/rkmpp_enc -w 640", ROLE_CAMERA},
	{"python3", "python3 camera_stream.py", ROLE_CAMERA},
	{"v4l2-ctl", "v4l2-ctl --list-devices", ROLE_CAMERA},
	/* first role in order wins */
	{"python3", "python3 avatar_asr_bridge.py", ROLE_ASR},
	{"python3", "python3 camera_avatar.py", ROLE_AVATAR},
	/* not ours */
	{"bash", "bash", ROLE_OTHER},
	{"sshd", "sshd: root@pts/0", ROLE_OTHER},
	{"python3", "python3 manage.py runserver", ROLE_OTHER},
	{"parser", "/usr/bin/parser", ROLE_OTHER},
	{"firefox", "/usr/lib/firefox/firefox -contentproc", ROLE_OTHER},
	{"python3", "python3 /opt/lasr/train.py", ROLE_OTHER},
	{"python3", "python3 pasrse.py", ROLE_OTHER},
	{"python3", "python3 -m laser_tool", ROLE_OTHER},
	{"python3", "python3 fasrt.py", ROLE_OTHER},
	{"python3", "python3", ROLE_OTHER},
	{"grep", "grep asr", ROLE_OTHER},
	{"grep", "grep -i camera /var/log/syslog", ROLE_OTHER},
	{"tail", "tail -f /var/log/asr.log", ROLE_OTHER},
	{"vim", "vim asr_server.py", ROLE_OTHER},
	{"less", "less /opt/dh_live/README.md", ROLE_OTHER},
	{"kworker/0:1", "", ROLE_OTHER},
	{"lasrd", "/usr/sbin/lasrd", ROLE_OTHER},
	{"", "", ROLE_OTHER},
};

static void test_role_names(void)
{
	enum vigil_role r = ROLE_COUNT;

	CHECK_STR(role_name(ROLE_ASR), "asr");
	CHECK_STR(role_name(ROLE_AVATAR), "avatar");
	CHECK_STR(role_name(ROLE_CAMERA), "camera");
	CHECK_STR(role_name(ROLE_OTHER), "other");
	CHECK_STR(role_name((enum vigil_role)42), "other");
	CHECK(role_parse("camera", &r) == 0 && r == ROLE_CAMERA);
	CHECK(role_parse("ASR", &r) == 0 && r == ROLE_ASR);
	CHECK(role_parse("other", &r) == 0 && r == ROLE_OTHER);
	r = ROLE_AVATAR;
	CHECK(role_parse("cam", &r) == -1 && r == ROLE_AVATAR);
	CHECK(role_parse("", &r) == -1);
	CHECK(role_parse(NULL, &r) == -1);
}

static void test_default_roles(void)
{
	struct targets *t = targets_new();

	CHECK(t != NULL);
	if (!t)
		return;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum vigil_role got = targets_classify(t, cases[i].comm, cases[i].cmdline);

		if (got != cases[i].role)
			printf("  classify(\"%s\", \"%s\") = %s, want %s\n", cases[i].comm,
			       cases[i].cmdline, role_name(got), role_name(cases[i].role));
		CHECK(got == cases[i].role);
	}
	CHECK(targets_classify(t, NULL, NULL) == ROLE_OTHER);
	targets_free(t);
}

static void test_default_selection(void)
{
	struct targets *t = targets_new();
	const unsigned *pids;

	CHECK(targets_is_default(t));
	CHECK(!targets_is_all(t));
	CHECK(targets_pids(t, &pids) == 0);
	/* with no option, the three roles and nothing else */
	CHECK(targets_match(t, 100, "python3", "python3 -m funasr.bin.asr_server"));
	CHECK(targets_match(t, 101, "python3", "/usr/bin/python3 /opt/dh_live/app.py"));
	CHECK(targets_match(t, 102, "dual_camera_web", "./dual_camera_websocket_server"));
	CHECK(!targets_match(t, 103, "bash", "bash"));
	CHECK(!targets_match(t, 1, "systemd", "/sbin/init"));
	targets_free(t);
}

static void test_union(void)
{
	struct targets *t = targets_new();
	char err[256];
	const unsigned *pids;

	CHECK(targets_add_pid(t, 4242) == 0);
	CHECK(targets_add_pid(t, 7) == 0);
	CHECK(targets_add_pid(t, 4242) == 0); /* kept once */
	CHECK(targets_add_comm(t, "^nginx$", err, sizeof(err)) == 0);
	CHECK(targets_add_cmdline(t, "--model +whisper", err, sizeof(err)) == 0);
	CHECK(targets_add_role(t, ROLE_CAMERA) == 0);
	CHECK(!targets_is_default(t));
	CHECK(!targets_is_all(t));
	CHECK(targets_pids(t, &pids) == 2);
	CHECK(pids[0] == 4242 && pids[1] == 7);

	CHECK(targets_match(t, 4242, "bash", "bash"));                    /* by pid */
	CHECK(targets_match(t, 7, "", ""));                               /* by pid */
	CHECK(targets_match(t, 9, "NGINX", "nginx: master process"));     /* by comm, any case */
	CHECK(!targets_match(t, 9, "nginx-proxy", "nginx-proxy"));        /* anchored by the user */
	CHECK(targets_match(t, 10, "python3", "python3 run.py --model  whisper"));
	CHECK(targets_match(t, 11, "gst-launch-1.0", "gst-launch-1.0 v4l2src")); /* by role */
	/* options replace the default roles: asr is not selected any more */
	CHECK(!targets_match(t, 12, "python3", "python3 -m funasr.bin.asr_server"));
	CHECK(!targets_match(t, 13, "bash", "bash"));
	targets_free(t);
}

static void test_single_options(void)
{
	struct targets *t = targets_new();
	char err[256];

	/* -p alone traces that pid only */
	CHECK(targets_add_pid(t, 55) == 0);
	CHECK(targets_match(t, 55, "bash", ""));
	CHECK(!targets_match(t, 56, "python3", "python3 -m funasr.bin.asr_server"));
	targets_free(t);

	t = targets_new();
	CHECK(targets_add_role(t, ROLE_ASR) == 0);
	CHECK(targets_add_role(t, ROLE_AVATAR) == 0);
	CHECK(targets_match(t, 1, "python3", "python3 sensevoice_server.py"));
	CHECK(targets_match(t, 2, "python3", "python3 /opt/dh_live/app.py"));
	CHECK(!targets_match(t, 3, "dual_camera_web", "./dual_camera_websocket_server"));
	targets_free(t);

	t = targets_new();
	CHECK(targets_add_cmdline(t, "redis", err, sizeof(err)) == 0);
	CHECK(targets_match(t, 1, "redis-server", "/usr/bin/redis-server *:6379"));
	CHECK(!targets_match(t, 1, "redis-server", "")); /* --cmdline looks at the cmdline only */
	targets_free(t);

	t = targets_new();
	targets_set_all(t);
	CHECK(targets_is_all(t) && !targets_is_default(t));
	CHECK(targets_match(t, 1, "bash", "bash"));
	CHECK(targets_match(t, 2, "", ""));
	targets_free(t);
}

static void test_bad_options(void)
{
	struct targets *t = targets_new();
	char err[256] = "";

	errno = 0;
	CHECK(targets_add_comm(t, "python(", err, sizeof(err)) == -1);
	CHECK(errno == EINVAL);
	CHECK(strstr(err, "--comm") && strstr(err, "python("));
	err[0] = '\0';
	CHECK(targets_add_cmdline(t, "[a-", err, sizeof(err)) == -1);
	CHECK(strstr(err, "--cmdline") != NULL);
	CHECK(targets_add_comm(t, "", err, sizeof(err)) == -1);
	CHECK(strstr(err, "--all") != NULL);
	CHECK(targets_add_cmdline(t, NULL, err, sizeof(err)) == -1);
	CHECK(targets_add_pid(t, 0) == -1 && errno == EINVAL);
	CHECK(targets_add_role(t, ROLE_OTHER) == -1 && errno == EINVAL);
	CHECK(targets_add_role(t, ROLE_COUNT) == -1);
	/* failed options select nothing and leave the default in place */
	CHECK(targets_is_default(t));
	CHECK(targets_match(t, 1, "python3", "python3 sensevoice_server.py"));
	targets_free(t);
	targets_free(NULL);
}

static void test_apply_config(void)
{
	struct targets *t = targets_new();
	struct vigil_config cfg;
	char err[256] = "";

	config_defaults(&cfg);
	/* a site that names its ASR service "stt" and has no camera */
	strcpy(cfg.role[ROLE_ASR].comm, "^stt-");
	strcpy(cfg.role[ROLE_ASR].cmdline, "");
	strcpy(cfg.role[ROLE_CAMERA].comm, "");
	strcpy(cfg.role[ROLE_CAMERA].cmdline, "");
	CHECK(targets_apply_config(t, &cfg, err, sizeof(err)) == 0);
	CHECK(targets_classify(t, "stt-worker", "") == ROLE_ASR);
	CHECK(targets_classify(t, "python3", "python3 -m funasr.bin.asr_server") == ROLE_OTHER);
	CHECK(targets_classify(t, "dual_camera_web", "./dual_camera_websocket_server") == ROLE_OTHER);
	CHECK(targets_classify(t, "python3", "/usr/bin/python3 /opt/dh_live/app.py") == ROLE_AVATAR);
	CHECK(!targets_match(t, 5, "gst-launch-1.0", "gst-launch-1.0 v4l2src"));

	/* a bad pattern is refused whole: the previous patterns stay */
	strcpy(cfg.role[ROLE_AVATAR].cmdline, "(unclosed");
	strcpy(cfg.role[ROLE_ASR].comm, "^never$");
	CHECK(targets_apply_config(t, &cfg, err, sizeof(err)) == -1);
	CHECK(strstr(err, "[role avatar] cmdline") != NULL);
	CHECK(targets_classify(t, "stt-worker", "") == ROLE_ASR);
	targets_free(t);
}

int main(void)
{
	RUN(test_role_names);
	RUN(test_default_roles);
	RUN(test_default_selection);
	RUN(test_union);
	RUN(test_single_options);
	RUN(test_bad_options);
	RUN(test_apply_config);
	CHECK_DONE();
}
