/* code_extract_test.c - the Python script inside LLM replies: fence tags,
 * block priority, unterminated and indented fences, CRLF, ~~~, replies
 * without fences, and the "looks like Python" heuristic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "code/extract.h"

static void expect_code(const char *reply, const char *want)
{
    struct err err = {{0}};
    char *code = code_extract_python(reply, &err);
    if (!code)
        fail_msg("no code extracted: %s", err.msg);
    assert_string_equal(code, want);
    free(code);
}

static void expect_none(const char *reply, const char *msg_part)
{
    struct err err = {{0}};
    char *code = code_extract_python(reply, &err);
    if (code)
        fail_msg("unexpected code: %s", code);
    assert_non_null(strstr(err.msg, msg_part));
}

static void test_python_fence_with_prose(void **state)
{
    (void)state;
    expect_code("Here is the improved solution. It uses LightGBM.\n\n"
                "```python\nimport pandas as pd\nprint('Final Validation Performance: 0.8')\n```\n\n"
                "This should reach a better score.",
                "import pandas as pd\nprint('Final Validation Performance: 0.8')\n");
}

static void test_tag_variants(void **state)
{
    (void)state;
    expect_code("```py\nx = 1\n```", "x = 1\n");
    expect_code("```Python\nx = 2\n```", "x = 2\n");
    expect_code("```python3\nx = 3\n```", "x = 3\n");
    expect_code("```PYTHON title=\"solution.py\"\nx = 4\n```", "x = 4\n");
    expect_code("```python{.numberLines}\nx = 5\n```", "x = 5\n");
}

static void test_python_block_preferred_over_earlier_shell(void **state)
{
    (void)state;
    expect_code("First install:\n```bash\npip install lightgbm\n```\nThen run:\n"
                "```\nrun me\n```\n```python\nimport lightgbm\n```\n",
                "import lightgbm\n");
}

static void test_first_of_several_python_blocks(void **state)
{
    (void)state;
    expect_code("```python\na = 1\n```\nand an alternative:\n```python\nb = 2\n```", "a = 1\n");
}

static void test_untagged_fence(void **state)
{
    (void)state;
    expect_code("Solution:\n```\nimport numpy as np\nx = np.zeros(3)\n```\n",
                "import numpy as np\nx = np.zeros(3)\n");
}

static void test_untagged_preferred_over_other_tag(void **state)
{
    (void)state;
    expect_code("```bash\nls\n```\n```\ny = 2\n```", "y = 2\n");
}

static void test_other_tag_that_looks_like_python(void **state)
{
    (void)state;
    expect_code("```text\nimport os\nfor f in os.listdir('.'):\n    print(f)\n```",
                "import os\nfor f in os.listdir('.'):\n    print(f)\n");
    expect_none("```bash\npip install xgboost\ncd /tmp\n```", "none with Python code");
}

static void test_empty_python_block_skipped(void **state)
{
    (void)state;
    expect_code("```python\n\n```\n```python\nz = 3\n```", "z = 3\n");
}

static void test_unterminated_fence_runs_to_end(void **state)
{
    (void)state;
    expect_code("Here you go:\n```python\nimport sys\nprint(sys.argv)\n",
                "import sys\nprint(sys.argv)\n");
    expect_code("```python\nimport sys\nmain()```", "import sys\nmain()\n");
}

static void test_crlf(void **state)
{
    (void)state;
    expect_code("Text\r\n```python\r\nx = 1\r\nif x:\r\n    y = 2\r\n```\r\n",
                "x = 1\nif x:\n    y = 2\n");
    /* doubly converted line ends, a CR ending the text, a CR inside a line */
    expect_code("```python\r\r\nx = 1\r\r\ns = 'a\rb'\r\n```\r", "x = 1\ns = 'a\rb'\n");
}

static void test_tilde_fence(void **state)
{
    (void)state;
    expect_code("~~~python\nx = '```'\n~~~\n", "x = '```'\n");
}

static void test_longer_fence_contains_shorter(void **state)
{
    (void)state;
    expect_code("````python\ns = \"\"\"\n```\n\"\"\"\n````\n", "s = \"\"\"\n```\n\"\"\"\n");
}

static void test_indented_fence(void **state)
{
    (void)state;
    expect_code("1. Replace the script with:\n   ```python\n   def f():\n       return 1\n   ```\n",
                "def f():\n    return 1\n");
}

static void test_closing_fence_with_trailing_spaces(void **state)
{
    (void)state;
    expect_code("```python\nx = 1\n```   \nafter", "x = 1\n");
}

static void test_inline_backticks_are_not_fences(void **state)
{
    (void)state;
    expect_none("Use ```python print(1)``` to print.", "no code block");
}

static void test_no_fence_whole_reply(void **state)
{
    (void)state;
    expect_code("import pandas as pd\n\ndf = pd.read_csv('./input/train.csv')\nprint(df.shape)\n",
                "import pandas as pd\n\ndf = pd.read_csv('./input/train.csv')\nprint(df.shape)\n");
}

static void test_no_fence_leading_and_trailing_prose_dropped(void **state)
{
    (void)state;
    expect_code("Sure! Here is the full script\n"
                "import numpy as np\n"
                "def score(a, b):\n"
                "    return np.mean(a == b)\n"
                "print(score(np.ones(3), np.ones(3)))\n"
                "I hope this helps.\n",
                "import numpy as np\ndef score(a, b):\n    return np.mean(a == b)\n"
                "print(score(np.ones(3), np.ones(3)))\n");
}

static void test_no_fence_prose_only(void **state)
{
    (void)state;
    expect_none("I could not finish the task because the data is missing.\n"
                "Please check the input folder.",
                "no code block");
    expect_none("", "empty");
    expect_none("set lr = 0.1 and retry the training with more trees", "no code block");
}

static void test_docstring_heavy_script(void **state)
{
    (void)state;
    const char *script = "\"\"\"A long module docstring.\n"
                         "It explains what this script does\n"
                         "in plain words over\n"
                         "several lines of prose\n"
                         "that would look like English.\n"
                         "\"\"\"\n"
                         "import os\n";
    assert_true(code_looks_like_python(script));
}

static void test_looks_like_python(void **state)
{
    (void)state;
    assert_true(code_looks_like_python("x = 1\n"));
    assert_true(code_looks_like_python("from sklearn.model_selection import KFold\n"));
    assert_true(code_looks_like_python("class A:\n    pass\n"));
    assert_true(code_looks_like_python("@dataclass\nclass A:\n    x: int = 0\n"));
    assert_true(code_looks_like_python("self.model[i] += 2\n"));
    assert_true(code_looks_like_python("a, b = f(x)\n"));
    assert_false(code_looks_like_python("This is a plan.\nIt has steps.\nThen done.\n"));
    assert_false(code_looks_like_python("from here on we go\n"));
    assert_false(code_looks_like_python("pip install xgboost\n"));
    assert_false(code_looks_like_python(""));
}

static void test_strip_fence_of_a_json_code_block(void **state)
{
    (void)state;
    char *out = code_strip_fence("```python\nx = 1\ny = 2\n```");
    assert_string_equal(out, "x = 1\ny = 2");
    free(out);
    out = code_strip_fence("\n  ```py\r\n  if a:\r\n      b()\r\n  ```\n\n");
    assert_string_equal(out, "if a:\n    b()");
    free(out);
    out = code_strip_fence("```\nx = 1```"); /* unterminated, fence glued to the last line */
    assert_string_equal(out, "x = 1");
    free(out);
}

static void test_strip_fence_leaves_other_text(void **state)
{
    (void)state;
    char *out = code_strip_fence("x = 1\ny = 2");
    assert_string_equal(out, "x = 1\ny = 2");
    free(out);
    out = code_strip_fence("```python\nx = 1\n```\nand then some prose");
    assert_string_equal(out, "```python\nx = 1\n```\nand then some prose");
    free(out);
    out = code_strip_fence("s = '```'");
    assert_string_equal(out, "s = '```'");
    free(out);
    out = code_strip_fence(NULL);
    assert_string_equal(out, "");
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_python_fence_with_prose),
        cmocka_unit_test(test_tag_variants),
        cmocka_unit_test(test_python_block_preferred_over_earlier_shell),
        cmocka_unit_test(test_first_of_several_python_blocks),
        cmocka_unit_test(test_untagged_fence),
        cmocka_unit_test(test_untagged_preferred_over_other_tag),
        cmocka_unit_test(test_other_tag_that_looks_like_python),
        cmocka_unit_test(test_empty_python_block_skipped),
        cmocka_unit_test(test_unterminated_fence_runs_to_end),
        cmocka_unit_test(test_crlf),
        cmocka_unit_test(test_tilde_fence),
        cmocka_unit_test(test_longer_fence_contains_shorter),
        cmocka_unit_test(test_indented_fence),
        cmocka_unit_test(test_closing_fence_with_trailing_spaces),
        cmocka_unit_test(test_inline_backticks_are_not_fences),
        cmocka_unit_test(test_no_fence_whole_reply),
        cmocka_unit_test(test_no_fence_leading_and_trailing_prose_dropped),
        cmocka_unit_test(test_no_fence_prose_only),
        cmocka_unit_test(test_docstring_heavy_script),
        cmocka_unit_test(test_looks_like_python),
        cmocka_unit_test(test_strip_fence_of_a_json_code_block),
        cmocka_unit_test(test_strip_fence_leaves_other_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
