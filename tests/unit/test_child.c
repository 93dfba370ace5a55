/* Unit tests of lib/child's environment for local commands: what a command
 * gets of ours, what --env adds, and what 'extra' replaces. */
#include <stdbool.h>
#include <stdlib.h>

#include "child.h"
#include "unit.h"

/* lookup returns the value of 'name' in 'env', or NULL. */
static const char *
lookup(char *const *env, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; env[i] != NULL; i++)
        if (strncmp(env[i], name, n) == 0 && env[i][n] == '=')
            return env[i] + n + 1;
    return NULL;
}

/* count returns how many entries of 'env' are named 'name'. */
static int
count(char *const *env, const char *name)
{
    size_t n = strlen(name);
    int k = 0;
    for (size_t i = 0; env[i] != NULL; i++)
        k += strncmp(env[i], name, n) == 0 && env[i][n] == '=';
    return k;
}

static void
test_env(void)
{
    setenv("PATH", "/bin:/usr/bin", 1);
    setenv("HOME", "/home/u", 1);
    setenv("LC_ALL", "C", 1);
    setenv("OPENAI_API_KEY", "sk-canary", 1);
    setenv("ANTHROPIC_API_KEY", "sk-ant-canary", 1);
    setenv("MY_TOKEN", "t", 1);
    setenv("HF_HOME", "/hf", 1);
    setenv("HF_TOKEN", "hf", 1);
    setenv("EV_CACHE_DIR", "/c", 1);
    unsetenv("TZ");

    char **env = ev_child_env(NULL, NULL);
    CHECK_STR(lookup(env, "PATH"), "/bin:/usr/bin", "PATH is passed");
    CHECK_STR(lookup(env, "HOME"), "/home/u", "HOME is passed");
    CHECK_STR(lookup(env, "LC_ALL"), "C", "LC_* is passed");
    CHECK(lookup(env, "TZ") == NULL, "a variable on the list that is not set is not made up");
    CHECK(lookup(env, "OPENAI_API_KEY") == NULL, "OPENAI_API_KEY is not passed");
    CHECK(lookup(env, "ANTHROPIC_API_KEY") == NULL, "ANTHROPIC_API_KEY is not passed");
    CHECK(lookup(env, "MY_TOKEN") == NULL, "any other variable is not passed");
    CHECK(lookup(env, "EV_CACHE_DIR") == NULL, "nor ev's own settings");
    free(env);

    char *pass[] = {"HF_*", "MY_TOKEN", NULL};
    char *extra[] = {"EV_ID=q1", "PATH=/opt/bin", NULL};
    env = ev_child_env(extra, pass);
    CHECK_STR(lookup(env, "HF_HOME"), "/hf", "a pattern passes what it matches");
    CHECK_STR(lookup(env, "HF_TOKEN"), "hf", "every variable it matches");
    CHECK_STR(lookup(env, "MY_TOKEN"), "t", "a name passes its variable");
    CHECK(lookup(env, "OPENAI_API_KEY") == NULL, "what no pattern matches stays out");
    CHECK_STR(lookup(env, "EV_ID"), "q1", "an extra variable is added");
    CHECK_STR(lookup(env, "PATH"), "/opt/bin", "an extra variable replaces ours");
    CHECK(count(env, "PATH") == 1, "and ours is gone");
    free(env);

    char *all[] = {"*", NULL};
    env = ev_child_env(NULL, all);
    CHECK_STR(lookup(env, "OPENAI_API_KEY"), "sk-canary", "'*' passes everything, when asked");
    free(env);
}

static void
test_pass_ok(void)
{
    CHECK(ev_child_pass_ok("CUDA_VISIBLE_DEVICES"), "a name");
    CHECK(ev_child_pass_ok("HF_*"), "a pattern");
    CHECK(!ev_child_pass_ok("MY_KEY=sk-1"), "a value is refused");
    CHECK(!ev_child_pass_ok(""), "an empty name is refused");
}

int
main(void)
{
    test_env();
    test_pass_ok();
    UNIT_DONE();
}
