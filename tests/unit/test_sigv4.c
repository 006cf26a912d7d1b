/* test_sigv4.c - remote/sigv4.c on AWS's published example (the
 * aws-sig-v4-test-suite's get-vanilla), bad input, and the STS response
 * parser. tests/conformance/sigv4_botocore.sh compares many more requests
 * with botocore. */
#include "remote/sigv4.h"
#include "test.h"

static const sigv4_creds EXAMPLE = {
	.access_key = "AKIDEXAMPLE",
	.secret_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
};

static void sigv4_aws_get_vanilla(void)
{
	sigv4_signed out;
	err e;
	/* 20150830T123600Z */
	ASSERT_EQ(sigv4_sign_creds(&EXAMPLE, "us-east-1", "service", "GET", "https://example.amazonaws.com/", NULL, 0,
				   "", 0, 1440938160000LL, &out, &e),
		  0);
	ASSERT_EQ(out.n, 2);
	ASSERT_STR_EQ(out.h[0].name, "X-Amz-Date");
	ASSERT_STR_EQ(out.h[0].value, "20150830T123600Z");
	ASSERT_STR_EQ(out.h[1].name, "Authorization");
	ASSERT_STR_EQ(out.h[1].value, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
				      "SignedHeaders=host;x-amz-date, "
				      "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

static void sigv4_session_token_and_ignored_headers(void)
{
	sigv4_creds cr = EXAMPLE;
	strcpy(cr.session_token, "tok");
	const char *h[] = {"User-Agent: x", "Authorization: Bearer y", "X-Amz-Date: 1", "Content-Length: 3",
			   "X-Removed:", "X-Empty;", "Content-Type:  a  b "};
	sigv4_signed out;
	err e;
	ASSERT_EQ(sigv4_sign_creds(&cr, "eu-west-1", "aps", "POST", "http://u:p@h:9090/p", h, FL_ARRAY_LEN(h), "abc",
				   3, 0, &out, &e),
		  0);
	ASSERT_EQ(out.n, 3);
	ASSERT_STR_EQ(out.h[0].value, "19700101T000000Z");
	ASSERT_STR_EQ(out.h[1].name, "X-Amz-Security-Token");
	ASSERT_STR_EQ(out.h[1].value, "tok");
	ASSERT(strstr(out.h[2].value, "SignedHeaders=content-length;content-type;host;x-amz-date;x-amz-security-token;x-empty,"));
}

static void sigv4_bad_input(void)
{
	sigv4_signed out;
	err e;
	ASSERT(sigv4_sign_creds(&EXAMPLE, "r", "aps", "POST", "not a url", NULL, 0, "", 0, 0, &out, &e) < 0);
	ASSERT(strstr(e.msg, "not an absolute URL"));
	ASSERT(sigv4_sign_creds(&EXAMPLE, "r", "aps", "POST", "http:///x", NULL, 0, "", 0, 0, &out, &e) < 0);
	ASSERT(sigv4_sign_creds(&EXAMPLE, "r", "aps", "POST", "http://h/a%zz", NULL, 0, "", 0, 0, &out, &e) < 0);
	ASSERT(strstr(e.msg, "invalid URL escape"));
	ASSERT(sigv4_sign_creds(&EXAMPLE, "r", "aps", "POST", "http://h/a%2", NULL, 0, "", 0, 0, &out, &e) < 0);
	/* a bad query pair is dropped, as Go's ParseQuery drops it */
	ASSERT_EQ(sigv4_sign_creds(&EXAMPLE, "r", "aps", "GET", "http://h/?a=%zz&b;c&=&%", NULL, 0, "", 0, 0, &out, &e), 0);
	static char names[40][80];
	const char *many[40];
	for (int i = 0; i < 40; i++) {
		snprintf(names[i], sizeof names[i], "X-A-Rather-Long-Header-Name-To-Sign-Number-%02d-Of-Forty: v", i);
		many[i] = names[i];
	}
	ASSERT(sigv4_sign_creds(&EXAMPLE, "r", "aps", "POST", "http://h/", many, 40, "", 0, 0, &out, &e) < 0);
	ASSERT(strstr(e.msg, "longer than"));
}

static void sigv4_sts_response(void)
{
	sigv4_creds c;
	err e;
	const char *ok = "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIA1</AccessKeyId>"
			 "<SecretAccessKey>s&amp;&lt;&gt;&quot;&apos;</SecretAccessKey><SessionToken>t</SessionToken>"
			 "<Expiration>2011-07-15T23:28:33.359Z</Expiration></Credentials></AssumeRoleResult>"
			 "</AssumeRoleResponse>";
	ASSERT_EQ(sigv4_sts_parse(ok, strlen(ok), &c, &e), 0);
	ASSERT_STR_EQ(c.access_key, "ASIA1");
	ASSERT_STR_EQ(c.secret_key, "s&<>\"'");
	ASSERT_STR_EQ(c.session_token, "t");
	ASSERT_EQ(c.expires_ms, 1310772513359LL);
	const char *er = "<ErrorResponse><Error><Code>AccessDenied</Code><Message>no</Message></Error></ErrorResponse>";
	ASSERT(sigv4_sts_parse(er, strlen(er), &c, &e) < 0);
	ASSERT_STR_EQ(e.msg, "sts: AssumeRole: AccessDenied: no");
	const char *bad[] = {"", "<", "<AccessKeyId>", "<AccessKeyId>a</AccessKeyId>",
			     "<AccessKeyId>a</AccessKeyId><SecretAccessKey>b</SecretAccessKey><SessionToken>c</SessionToken>"
			     "<Expiration>x</Expiration>",
			     "<AccessKeyId>a&bogus;</AccessKeyId>", "<Code>x</Code"};
	for (size_t i = 0; i < FL_ARRAY_LEN(bad); i++)
		ASSERT(sigv4_sts_parse(bad[i], strlen(bad[i]), &c, &e) < 0);
}

const struct test tests_sigv4[] = {
	{"sigv4_aws_get_vanilla", sigv4_aws_get_vanilla},
	{"sigv4_session_token_and_ignored_headers", sigv4_session_token_and_ignored_headers},
	{"sigv4_bad_input", sigv4_bad_input},
	{"sigv4_sts_response", sigv4_sts_response},
	{NULL, NULL},
};
