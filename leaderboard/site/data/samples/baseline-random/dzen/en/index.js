polyevalData({"key":"baseline-random/dzen/en/index","model":"baseline:random","page_size":200,"pages":1,"parts":[["eng_Latn",0,23]],"run":"baseline-random","task":"dzen","variant":"en"});
